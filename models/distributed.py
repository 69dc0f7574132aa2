"""Training on several processes (GPUs or CPU sockets) with torch DistributedDataParallel, launched by ``torchrun``.

``torchrun --nproc_per_node=N -m answerprint.core.cli train cleanup ...`` starts N copies of the command; each
finds its place in the job from the variables torchrun sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``). Without them (a plain ``answerprint train``) there is
one process, no process group and no collective: training is exactly the single-process training.

In a job of N processes ("ranks"):

- every rank prepares the same footage (the preparation is seeded) and holds the same model: DDP copies rank
  0's parameters and buffers to the others when it wraps the network, then averages the gradients of every
  step over the ranks (all-reduce inside ``backward``), so the parameters stay identical;
- each rank draws its own training crops (``Ranks.batch_seed``): a step sees N × ``batch`` crops;
- once per step the ranks ``settle`` together: whether any of them was cancelled or failed, and the
  elapsed time (averaged, so every rank takes the same decision against the time budget and the same
  learning rate);
- only rank 0 shows progress, writes the pack and the report (``is_main_process``, ``training_terminal``).

Backends: ``nccl`` when training on CUDA (one GPU per rank, ``cuda:LOCAL_RANK``), ``gloo`` on the CPU. A rank
that stops with an error leaves the process group, which makes a waiting gloo collective on the others fail at
once; torchrun also stops the remaining ranks when one exits with an error (with nccl, which cannot notice a
vanished peer by itself, that is what ends them).
"""
from __future__ import annotations

import contextlib
import datetime
import os
import signal
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from answerprint.core.errors import AnswerprintError, Cancelled, UsageError
from answerprint.core.progress import CancelToken, ProgressCallback, no_progress

#: How long a rank waits in a collective for the others (minutes) before giving up: long enough for the
#: slowest rank to finish reading and aligning the dailies before the first collective.
COLLECTIVE_TIMEOUT_MINUTES = 30.0
_TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")


@dataclass(frozen=True)
class Settled:
    """What the ranks agreed on at one step.

    Attributes
    ----------
    cancelled : bool
        Some rank was cancelled.
    failed : bool
        Some rank failed (its own error is raised there; the others stop).
    elapsed : float
        Seconds since the optimisation started, averaged over the ranks (the same number on every rank).
    """

    cancelled: bool
    failed: bool
    elapsed: float


@dataclass(frozen=True)
class Ranks:
    """This process's place in a training job (rank 0 of 1 for ordinary, single-process training).

    Attributes
    ----------
    rank : int
        0..world_size-1; rank 0 reports progress and writes the results.
    world_size : int
        Processes training together.
    local_rank : int
        Index of this process on its machine (its GPU index when training on CUDA).
    local_world_size : int
        Processes training on this machine (they share its CPU cores).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the one that reports and writes."""
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        """True when more than one process trains (a process group is joined)."""
        return self.world_size > 1

    @property
    def where(self) -> str:
        """``rank R of N`` for messages."""
        return f"rank {self.rank} of {self.world_size}"

    def batch_seed(self, seed: int) -> int:
        """Seed of this rank's crop and augmentation draws: ``seed`` itself on rank 0 (so a one-process run
        draws what single-process training draws), an independent stream derived from (seed, rank) elsewhere."""
        if self.rank == 0:
            return seed
        return int(np.random.SeedSequence([seed, self.rank]).generate_state(1)[0])

    def cpu_threads(self, threads: int) -> int:
        """This rank's share of ``threads`` CPU threads meant for the whole machine (at least one)."""
        return max(1, threads // self.local_world_size)

    def wrap(self, network: nn.Module) -> nn.Module:
        """The module to train through: ``network`` itself for one process, else a DDP wrapper (which copies
        rank 0's parameters and buffers to every rank now and averages gradients in every ``backward``).
        ``network`` must already be on its device."""
        if not self.is_distributed:
            return network
        device = next(network.parameters()).device
        return DistributedDataParallel(network, device_ids=[device.index] if device.type == "cuda" else None)

    def settle(self, *, cancelled: bool, failed: bool, elapsed: float) -> Settled:
        """Agree on stopping and on the clock (one all-reduce of three numbers; every rank must call it at
        the same point of the same step)."""
        if not self.is_distributed:
            return Settled(cancelled, failed, elapsed)
        flags = torch.tensor([float(cancelled), float(failed), elapsed], dtype=torch.float64,
                             device=_collective_device())
        dist.all_reduce(flags)
        total_cancelled, total_failed, total_elapsed = flags.tolist()
        return Settled(total_cancelled > 0, total_failed > 0, total_elapsed / self.world_size)

    def mean(self, value: float) -> float:
        """``value`` averaged over the ranks (every rank must call it at the same point)."""
        if not self.is_distributed:
            return value
        total = torch.tensor([value], dtype=torch.float64, device=_collective_device())
        dist.all_reduce(total)
        return float(total.item()) / self.world_size

    def raise_if_stopped(self, settled: Settled, where: str) -> None:
        """Raise on every rank once any rank was cancelled or failed (a failed rank raises its own error
        before calling this).

        Raises
        ------
        Cancelled
            Some rank was cancelled.
        AnswerprintError
            Another rank failed; its own message is in its output (and torchrun's summary).
        """
        if settled.failed:
            raise AnswerprintError(f"{where} stopped: another training process failed (see its error above)",
                                   self.where)
        if settled.cancelled:
            raise Cancelled(f"{where} cancelled", self.where if self.is_distributed else None)


SINGLE_PROCESS = Ranks()


def _collective_device() -> torch.device:
    """Where small collective tensors live: nccl only reduces CUDA tensors, gloo CPU ones."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def ranks_from_environment(environ: Mapping[str, str] | None = None) -> Ranks:
    """This process's place in the job from torchrun's variables; ``SINGLE_PROCESS`` when they are absent.

    Raises
    ------
    UsageError
        The variables are present but inconsistent (not integers, rank outside the world).
    """
    environ = os.environ if environ is None else environ
    if "WORLD_SIZE" not in environ:
        return SINGLE_PROCESS
    try:
        world_size = int(environ["WORLD_SIZE"])
        rank = int(environ.get("RANK", "0"))
        local_rank = int(environ.get("LOCAL_RANK", str(rank)))
        local_world_size = int(environ.get("LOCAL_WORLD_SIZE", str(world_size)))
    except ValueError:
        raise UsageError("the distributed-training variables are not integers",
                         ", ".join(f"{k}={environ.get(k)}" for k in _TORCHRUN_VARIABLES)) from None
    if not (0 <= rank < world_size and 0 <= local_rank < local_world_size <= world_size):
        raise UsageError("the distributed-training variables are inconsistent",
                         ", ".join(f"{k}={environ.get(k)}" for k in _TORCHRUN_VARIABLES))
    return Ranks(rank, world_size, local_rank, local_world_size)


def is_main_process() -> bool:
    """True unless this process is a rank other than 0 of a torchrun job (reads ``RANK`` only)."""
    return os.environ.get("RANK", "0") == "0"


@contextlib.contextmanager
def process_group(device_type: str, timeout_minutes: float = COLLECTIVE_TIMEOUT_MINUTES) -> Iterator[Ranks]:
    """Join the job's process group for the duration of training, and leave it afterwards.

    The rendezvous is torchrun's (``MASTER_ADDR``, ``MASTER_PORT`` and the variables of
    ``ranks_from_environment`` in the environment).

    Parameters
    ----------
    device_type : str
        ``cuda`` (nccl backend, this rank's GPU made current) or ``cpu`` (gloo backend).
    timeout_minutes : float
        How long a collective waits for the other ranks.

    Yields
    ------
    Ranks
        ``SINGLE_PROCESS`` (and nothing joined) outside a torchrun job.

    Raises
    ------
    UsageError
        A CUDA job with more ranks on this machine than GPUs.
    """
    ranks = ranks_from_environment()
    if not ranks.is_distributed:
        yield ranks
        return
    backend = "gloo"
    if device_type == "cuda":
        if ranks.local_rank >= torch.cuda.device_count():
            raise UsageError(f"{ranks.local_world_size} training processes on this machine but only "
                             f"{torch.cuda.device_count()} GPU(s); pass --nproc_per_node={torch.cuda.device_count()}",
                             ranks.where)
        torch.cuda.set_device(ranks.local_rank)
        backend = "nccl"
    dist.init_process_group(backend, rank=ranks.rank, world_size=ranks.world_size,
                            timeout=datetime.timedelta(minutes=timeout_minutes))
    try:
        yield ranks
    finally:
        dist.destroy_process_group()


@contextlib.contextmanager
def training_terminal(description: str, args: Any = None) -> Iterator[tuple[ProgressCallback, CancelToken]]:
    """The terminal of ``answerprint train``: rank 0 (or a single process) shows progress as ``args.progress``
    asks (a bar, plain lines with steps and ETA, or JSON); the other ranks show nothing, but Ctrl-C still
    cancels them (the whole job stops at the next step)."""
    from answerprint.core.cli.terminal import progress_for

    if is_main_process():
        with progress_for(args, description) as bound:
            yield bound
        return
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: cancel.cancel())
    try:
        yield no_progress, cancel
    finally:
        signal.signal(signal.SIGINT, previous)
