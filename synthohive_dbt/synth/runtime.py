"""The machine side of training and sampling: device, threads, precision, progress bar."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import torch

from ..errors import TrainingError
from .settings import SynthSettings


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present; an unusable device is an error with the fix."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise TrainingError(f"unknown torch device {name!r}", hint="use cpu, cuda or auto") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(
            f"device {name!r} asked for but CUDA is not available", hint="set device: cpu or auto"
        )
    return device


def available_cpus() -> int:
    """CPUs this process may run on (its affinity), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Half the available CPUs (at least one).

    The networks are small (a few 256-wide layers, batches of hundreds of rows), so extra
    threads gain little, while a machine whose cores are busy with other work turns
    OpenMP's spin-waiting barriers into stalls: on a loaded 2-core machine ten epochs of
    the example's customers took 8.7 s with one thread and 130 s with two.
    """
    return max(1, available_cpus() // 2)


@contextlib.contextmanager
def torch_threads(settings: SynthSettings) -> Iterator[None]:
    """Run with ``settings.threads`` torch threads (:func:`default_threads` when unset) and
    put the previous count back after, so a library call leaves no global change."""
    wanted = settings.threads or default_threads()
    previous = torch.get_num_threads()
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != previous:
            torch.set_num_threads(previous)


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def sampling_dtype(settings: SynthSettings, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for generation, or None for plain float32."""
    if settings.precision == "float32":
        return None
    if settings.precision == "bfloat16":
        return torch.bfloat16
    if device.type == "cpu" and cpu_has_bf16():
        return torch.bfloat16
    return None


class EpochProgress:
    """A rich progress bar over epochs that shows live losses and fidelity."""

    def __init__(self, total: int, start: int, *, enabled: bool, label: str = "training") -> None:
        self._progress = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), TextColumn("{task.fields[status]}"), transient=False,
        )
        self._task = self._progress.add_task(label, total=total, completed=start, status="")

    def __enter__(self) -> EpochProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def update(self, epoch: int, loss_g: float, loss_d: float, best: float | None) -> None:
        if self._progress is None:
            return
        status = f"G {loss_g:+.3f}  D {loss_d:+.3f}"
        if best is not None:
            status += f"  fidelity {best:.3f}"
        self._progress.update(self._task, completed=epoch, status=status)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
