"""Effect parameters, defined once per effect.

The same ``ParamSchema`` feeds the CLI (``--param name=value``), the panel (one widget per ``Param``), the
pack manifest (``to_json``) and the hosts. Values are plain Python (float, int, bool, str).

Example
-------
>>> schema = ParamSchema([Param("stops", "float", 0.0, minimum=-8, maximum=8, unit="stops")])
>>> schema.resolve({"stops": "1"})
{'stops': 1.0}
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .errors import ParamError

KINDS = ("float", "int", "bool", "enum", "path", "string")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One parameter of an effect.

    Attributes
    ----------
    name : str
        Identifier used on the command line and in manifests (``snake_case``).
    kind : str
        One of ``float``, ``int``, ``bool``, ``enum``, ``path``, ``string``.
    default : Any
        Value when the user gives none; ``None`` only for optional ``path``/``string`` parameters.
    minimum, maximum : float, optional
        Inclusive range for numbers.
    choices : tuple of str
        Allowed values for ``enum``.
    unit : str
        Unit shown to the user (``stops``, ``kelvin``, ``px``, ``%``...); empty when unitless.
    label, doc : str
        Short label for widgets and one sentence of help.
    widget : str
        A hint for the panel beyond the kind (``slider``, ``kelvin``, ``tint``, ``screen_xy``, ``screen_radius``,
        ``reference``).
    step : float, optional
        Slider step for numbers.
    """

    name: str
    kind: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    label: str = ""
    doc: str = ""
    widget: str = ""
    step: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: unknown kind {self.kind!r}")
        if self.kind == "enum" and self.default not in self.choices:
            raise ValueError(f"parameter {self.name}: default {self.default!r} not among {self.choices}")

    def coerce(self, value: Any) -> Any:
        """Turn a string from the command line or a JSON value into this parameter's type, checking range.

        Raises
        ------
        ParamError
            When the value cannot be read or lies outside the range.
        """
        where = f"--param {self.name}"
        if value is None:
            if self.kind in ("path", "string"):
                return None
            raise ParamError("a value is required", where)
        try:
            if self.kind == "float":
                out: Any = float(value)
                if not math.isfinite(out):
                    raise ValueError
            elif self.kind == "int":
                as_float = float(value)
                if as_float != int(as_float):
                    raise ValueError
                out = int(as_float)
            elif self.kind == "bool":
                if isinstance(value, bool):
                    out = value
                elif str(value).lower() in _TRUE:
                    out = True
                elif str(value).lower() in _FALSE:
                    out = False
                else:
                    raise ValueError
            else:
                out = str(value)
        except (TypeError, ValueError):
            raise ParamError(f"{value!r} is not a valid {self.kind}", where) from None
        if self.kind == "enum" and out not in self.choices:
            raise ParamError(f"{out!r} is not one of {', '.join(self.choices)}", where)
        if self.kind in ("float", "int"):
            if self.minimum is not None and out < self.minimum or self.maximum is not None and out > self.maximum:
                raise ParamError(f"{out} is outside [{self.minimum}, {self.maximum}] {self.unit}".rstrip(), where)
        return out

    def to_json(self) -> dict[str, Any]:
        """The parameter as the pack manifest and the hosts store it (no ``None`` fields)."""
        data = {
            "name": self.name, "kind": self.kind, "default": self.default, "minimum": self.minimum,
            "maximum": self.maximum, "choices": list(self.choices) or None, "unit": self.unit or None,
            "label": self.label or None, "doc": self.doc or None, "widget": self.widget or None, "step": self.step,
        }
        return {k: v for k, v in data.items() if v is not None or k == "default"}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Param":
        fields = dict(data)
        fields["choices"] = tuple(fields.get("choices") or ())
        return cls(**fields)


@dataclass(frozen=True)
class ParamSchema:
    """The ordered parameters of one effect."""

    params: tuple[Param, ...] = field(default_factory=tuple)

    def __init__(self, params: Iterable[Param] = ()):
        object.__setattr__(self, "params", tuple(params))
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")

    def __iter__(self):
        return iter(self.params)

    def __getitem__(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise ParamError(f"unknown parameter; this effect takes {', '.join(self.names) or 'none'}", name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given`` values, each coerced and range-checked."""
        values = self.defaults()
        for name, value in given.items():
            values[name] = self[name].coerce(value)
        return values

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.params]

    @classmethod
    def from_json(cls, data: Iterable[Mapping[str, Any]]) -> "ParamSchema":
        return cls(Param.from_json(item) for item in data)


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """Split command-line ``name=value`` strings into a dict.

    Raises
    ------
    ParamError
        When an item has no ``=`` or an empty name.
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParamError(f"expected name=value, got {item!r}", "--param")
        out[name.strip()] = value.strip()
    return out
