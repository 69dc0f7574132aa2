"""Just enough of the ONNX protobuf wire format to check, read and sign a pack without the ``onnx`` package.

A colorist's machine has onnxruntime but not ``onnx``, and packs must be checked *before* onnxruntime parses
them. This module walks the serialized ``ModelProto`` bytes directly (protobuf wire format: tag varint =
field number << 3 | wire type) and knows the few field numbers of ``onnx.proto`` it needs: the graph, its
inputs/outputs, every tensor anywhere in the model (initializers, ``Constant`` attributes, sub-graphs,
functions, training graphs) and the top-level ``metadata_props`` that carry the manifest and signature.
It never re-serializes a message, so bytes it does not touch stay exactly as they were.

Every malformed input raises ``WireFormatError`` (a ``ValueError``), never anything else.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

#: Deepest nesting of sub-graphs / functions walked before the model is called malformed.
MAX_NESTING = 64

_MODEL_GRAPH, _MODEL_METADATA = 7, 14
_GRAPH_INITIALIZER, _GRAPH_INPUT, _GRAPH_OUTPUT, _GRAPH_SPARSE_INITIALIZER = 5, 11, 12, 15
_TENSOR_DIMS, _TENSOR_DATA_TYPE, _TENSOR_NAME, _TENSOR_RAW_DATA = 1, 2, 8, 9
_TENSOR_EXTERNAL_DATA, _TENSOR_DATA_LOCATION = 13, 14
_TENSOR_TYPED_DATA = (4, 5, 6, 7, 10, 11)  # float_data, int32_data, string_data, int64_data, double, uint64
_DATA_LOCATION_EXTERNAL = 1

# Which length-delimited fields of which message hold which message, for the tensor walk.
_CHILDREN: dict[str, dict[int, str]] = {
    "model": {7: "graph", 20: "training_info", 25: "function"},
    "graph": {1: "node", 5: "tensor", 15: "sparse_tensor"},
    "node": {5: "attribute"},
    "attribute": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse_tensor", 23: "sparse_tensor"},
    "function": {7: "node"},
    "training_info": {1: "graph", 2: "graph"},
    "sparse_tensor": {1: "tensor", 2: "tensor"},
}

#: ONNX ``TensorProto.DataType`` numbers → the dtype names manifests use.
ELEM_TYPE_NAMES = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
    9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16",
}
#: Bytes per element of fixed-size ONNX data types (complex and 8-bit float types included).
ITEM_SIZES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
              17: 1, 18: 1, 19: 1, 20: 1}


class WireFormatError(ValueError):
    """The bytes are not a well-formed ONNX protobuf (truncated, corrupt, or not ONNX at all)."""


class Field(NamedTuple):
    """One protobuf record.

    ``record_start`` is the offset of its tag, ``start:end`` its payload (for varint and fixed wire types the
    encoded value), ``scalar`` the decoded value of varint/fixed records (the payload length otherwise).
    """

    number: int
    wire_type: int
    record_start: int
    start: int
    end: int
    scalar: int


class TensorRecord(NamedTuple):
    """What the safety check needs to know about one ``TensorProto``."""

    name: str
    data_type: int
    dims: tuple[int, ...]
    raw_bytes: int | None
    typed_bytes: int
    external: bool


class ValueInfo(NamedTuple):
    """A graph input or output: name, ONNX element type (0 when unknown) and dims (``None`` when no shape).

    Each dim is an ``int`` (fixed), a ``str`` (symbolic, e.g. ``"H"``) or ``None`` (unknown).
    """

    name: str
    elem_type: int
    dims: tuple[int | str | None, ...] | None


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Decode a base-128 varint at ``pos``; returns (unsigned 64-bit value, position after it)."""
    result = shift = 0
    while True:
        if pos >= end:
            raise WireFormatError(f"truncated varint at byte {pos}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & 0xFFFF_FFFF_FFFF_FFFF, pos
        shift += 7
        if shift >= 70:
            raise WireFormatError(f"varint longer than 10 bytes at byte {pos}")


def encode_varint(value: int) -> bytes:
    """Encode a non-negative integer as a base-128 varint."""
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def iter_fields(buf: bytes, start: int = 0, end: int | None = None) -> Iterator[Field]:
    """The records of one message occupying ``buf[start:end]``, in file order."""
    end = len(buf) if end is None else end
    pos = start
    while pos < end:
        record_start = pos
        key, pos = read_varint(buf, pos, end)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireFormatError(f"field number 0 at byte {record_start}")
        if wire_type == 0:
            value, pos = read_varint(buf, pos, end)
            yield Field(number, 0, record_start, pos, pos, value)
            continue
        size = {1: 8, 5: 4}.get(wire_type)
        if size is not None:
            if pos + size > end:
                raise WireFormatError(f"truncated fixed-size field at byte {record_start}")
            yield Field(number, wire_type, record_start, pos, pos + size,
                        int.from_bytes(buf[pos:pos + size], "little"))
            pos += size
            continue
        if wire_type != 2:
            raise WireFormatError(f"unsupported wire type {wire_type} at byte {record_start}")
        length, pos = read_varint(buf, pos, end)
        if pos + length > end:
            raise WireFormatError(f"field {number} at byte {record_start} runs past the end of its message")
        yield Field(number, 2, record_start, pos, pos + length, length)
        pos += length


def _text(buf: bytes, field: Field) -> str:
    if field.wire_type != 2:
        raise WireFormatError(f"field {field.number} at byte {field.record_start} should be a string")
    try:
        return bytes(buf[field.start:field.end]).decode("utf-8")
    except UnicodeDecodeError:
        raise WireFormatError(f"invalid UTF-8 in the string at byte {field.start}") from None


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _message(field: Field) -> Field:
    if field.wire_type != 2:
        raise WireFormatError(f"field {field.number} at byte {field.record_start} should be a message")
    return field


def _read_tensor(buf: bytes, start: int, end: int) -> TensorRecord:
    name, data_type, dims, raw, typed, external = "", 0, [], None, 0, False
    for field in iter_fields(buf, start, end):
        if field.number == _TENSOR_DIMS:
            if field.wire_type == 0:
                dims.append(_signed(field.scalar))
            else:
                pos = _message(field).start
                while pos < field.end:
                    value, pos = read_varint(buf, pos, field.end)
                    dims.append(_signed(value))
        elif field.number == _TENSOR_DATA_TYPE and field.wire_type == 0:
            data_type = field.scalar
        elif field.number == _TENSOR_NAME:
            name = _text(buf, field)
        elif field.number == _TENSOR_RAW_DATA:
            raw = _message(field).end - field.start
        elif field.number in _TENSOR_TYPED_DATA:
            typed += field.end - field.start
        elif field.number == _TENSOR_EXTERNAL_DATA:
            external = True
        elif field.number == _TENSOR_DATA_LOCATION and field.wire_type == 0:
            external = external or field.scalar == _DATA_LOCATION_EXTERNAL
    return TensorRecord(name, data_type, tuple(dims), raw, typed, external)


def iter_tensors(model: bytes) -> Iterator[TensorRecord]:
    """Every ``TensorProto`` stored anywhere in the model: initializers, sparse initializers, tensor
    attributes of nodes (``Constant``), sub-graphs of ``If``/``Loop``/``Scan``, functions and training graphs.

    Raises
    ------
    WireFormatError
        When the bytes are malformed or nested deeper than ``MAX_NESTING``.
    """
    pending = [("model", 0, len(model), 0)]
    while pending:
        kind, start, end, depth = pending.pop()
        if depth > MAX_NESTING:
            raise WireFormatError(f"sub-graphs nested deeper than {MAX_NESTING} levels")
        children = _CHILDREN[kind]
        for field in iter_fields(model, start, end):
            child = children.get(field.number)
            if child is None:
                continue
            _message(field)
            if child == "tensor":
                yield _read_tensor(model, field.start, field.end)
            else:
                pending.append((child, field.start, field.end, depth + 1))


def _graphs(model: bytes) -> list[Field]:
    return [_message(f) for f in iter_fields(model) if f.number == _MODEL_GRAPH]


def _read_dims(buf: bytes, start: int, end: int) -> tuple[int | str | None, ...]:
    dims: list[int | str | None] = []
    for dim in iter_fields(buf, start, end):
        if dim.number != 1:
            continue
        value: int | str | None = None
        for part in iter_fields(buf, _message(dim).start, dim.end):
            if part.number == 1 and part.wire_type == 0:
                value = _signed(part.scalar)
            elif part.number == 2:
                value = _text(buf, part)
        dims.append(value)
    return tuple(dims)


def _read_value_info(buf: bytes, start: int, end: int) -> ValueInfo:
    name, elem_type, dims = "", 0, None
    for field in iter_fields(buf, start, end):
        if field.number == 1:
            name = _text(buf, field)
        elif field.number == 2:
            for type_field in iter_fields(buf, _message(field).start, field.end):
                if type_field.number != 1:  # TypeProto.tensor_type
                    continue
                for part in iter_fields(buf, _message(type_field).start, type_field.end):
                    if part.number == 1 and part.wire_type == 0:
                        elem_type = part.scalar
                    elif part.number == 2:
                        dims = _read_dims(buf, _message(part).start, part.end)
    return ValueInfo(name, elem_type, dims)


def graph_io(model: bytes) -> tuple[tuple[ValueInfo, ...], tuple[ValueInfo, ...]]:
    """The main graph's inputs (initializers excluded, as IR < 4 listed them too) and outputs.

    Raises
    ------
    WireFormatError
        When the bytes are malformed or hold no graph.
    """
    graphs = _graphs(model)
    if not graphs:
        raise WireFormatError("the model holds no graph")
    inputs: list[ValueInfo] = []
    outputs: list[ValueInfo] = []
    initializer_names: set[str] = set()
    for graph in graphs:  # protobuf merges repeated occurrences of a message field
        for field in iter_fields(model, graph.start, graph.end):
            if field.number == _GRAPH_INPUT:
                inputs.append(_read_value_info(model, _message(field).start, field.end))
            elif field.number == _GRAPH_OUTPUT:
                outputs.append(_read_value_info(model, _message(field).start, field.end))
            elif field.number == _GRAPH_INITIALIZER:
                initializer_names.add(_read_tensor(model, _message(field).start, field.end).name)
            elif field.number == _GRAPH_SPARSE_INITIALIZER:
                for part in iter_fields(model, _message(field).start, field.end):
                    if part.number == 1:
                        initializer_names.add(_read_tensor(model, _message(part).start, part.end).name)
    return tuple(i for i in inputs if i.name not in initializer_names), tuple(outputs)


class MetadataEntry(NamedTuple):
    """One top-level ``metadata_props`` entry and the byte span of its whole record."""

    key: str
    value: str
    record_start: int
    record_end: int


def metadata_entries(model: bytes) -> list[MetadataEntry]:
    """The model's top-level ``metadata_props`` in file order.

    Raises
    ------
    WireFormatError
        When the bytes are malformed.
    """
    entries = []
    for field in iter_fields(model):
        if field.number != _MODEL_METADATA:
            continue
        key = value = ""
        for part in iter_fields(model, _message(field).start, field.end):
            if part.number == 1:
                key = _text(model, part)
            elif part.number == 2:
                value = _text(model, part)
        entries.append(MetadataEntry(key, value, field.record_start, field.end))
    return entries


def without_metadata(model: bytes, keys: set[str] | frozenset[str]) -> bytes:
    """The model's bytes with every top-level metadata record whose key is in ``keys`` cut out, all other
    bytes untouched and in order."""
    pieces, pos = [], 0
    for entry in metadata_entries(model):
        if entry.key in keys:
            pieces.append(model[pos:entry.record_start])
            pos = entry.record_end
    pieces.append(model[pos:])
    return b"".join(pieces)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def with_metadata(model: bytes, entries: dict[str, str]) -> bytes:
    """The model with ``entries`` set: existing records of those keys are cut out and new ones appended at
    the end (a valid protobuf: repeated fields may appear anywhere, in order of appearance)."""
    out = without_metadata(model, frozenset(entries))
    for key, value in entries.items():
        entry = _length_delimited(1, key.encode("utf-8")) + _length_delimited(2, value.encode("utf-8"))
        out += _length_delimited(_MODEL_METADATA, entry)
    return out
