"""The virtual printer: a transport that "prints" each job to a numbered PNG file.

Opened with ``virtual:///some/folder`` (see :mod:`hardware.printer.printer_url`). Each
:meth:`VirtualPrinter.write` is one job: the raw bytes are kept as ``job-NNNNNN.bin`` and the
job is rendered with the test renderer (:mod:`hardware.printer.render`) to
``job-NNNNNN.png`` beside it. Numbers continue after the files already in the folder, so a
restarted demo never overwrites earlier tickets.

Simulating faults is a feature: :meth:`VirtualPrinter.simulate` sets the status the printer
reports (e.g. paper out). While the simulated status is not ready, the printer refuses jobs
with :class:`PrinterNotReadyError` and writes nothing, as a kiosk would find out from a
status check before printing. :meth:`VirtualPrinter.fault_during_next_job` simulates a fault
that comes while a job is printing (the paper runs out half-way): that job is accepted, its
picture stops part-way, and the printer then reports the fault. Unlike the other transports,
this class is thread-safe, so a test can call :meth:`~VirtualPrinter.simulate` while a worker
thread prints.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from hardware.printer.errors import PrinterConnectionError, PrinterNotReadyError
from hardware.printer.render import RenderedJob, render_escpos
from hardware.printer.status import PrinterStatus
from hardware.printer.transport import Transport

logger = logging.getLogger(__name__)

_JOB_FILE = re.compile(r"^job-(\d{6,})\.(?:bin|png)$")


@dataclass(frozen=True)
class VirtualJob:
    """One job the virtual printer printed.

    Attributes:
        number: job number (1, 2, ... continuing across runs in the same folder).
        bin_path: the raw ESC/POS bytes.
        png_path: the rendered picture of the paper.
        rendered: the renderer's result (image, cuts, ...); for an incomplete job the image
            is the part that came out before the fault.
        complete: False when a fault stopped the job part-way
            (:meth:`VirtualPrinter.fault_during_next_job`).
    """

    number: int
    bin_path: Path
    png_path: Path
    rendered: RenderedJob
    complete: bool = True


class VirtualPrinter(Transport):
    """A printer that writes PNG files; see the module docstring.

    Args:
        directory: folder for the job files; created if missing.
        width_dots: paper width for rendering; None takes the job's raster width.
        url: the URL it was opened from, for messages.

    Raises:
        PrinterConnectionError: the folder cannot be created.
    """

    def __init__(
        self, directory: Path, *, width_dots: int | None = None, url: str | None = None
    ) -> None:
        self.directory = directory
        self.width_dots = width_dots
        self.url = url or f"virtual://{directory.as_posix()}"
        self._lock = threading.Lock()
        self._status = PrinterStatus()
        self._fault_during_next_job: tuple[PrinterStatus, float] | None = None
        self._jobs: list[VirtualJob] = []
        self._closed = False
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PrinterConnectionError(f"{self.url}: cannot create folder: {error}") from error
        self._next_number = 1 + max(
            (
                int(match.group(1))
                for match in (_JOB_FILE.match(entry.name) for entry in directory.iterdir())
                if match is not None
            ),
            default=0,
        )

    def write(self, data: bytes) -> None:
        """Print one job: save ``job-NNNNNN.bin``, render it, save ``job-NNNNNN.png``.

        Raises:
            PrinterNotReadyError: the simulated status has a fault; nothing is written.
            EscposRenderError: the bytes cannot be rendered (the ``.bin`` is kept).
            PrinterConnectionError: the printer is closed or the files cannot be written.
        """
        with self._lock:
            if self._closed:
                raise PrinterConnectionError(f"{self.url}: transport is closed")
            if not self._status.ready:
                faults = ", ".join(fault.value for fault in self._status.faults)
                raise PrinterNotReadyError(
                    f"{self.url}: printer not ready ({faults})", self._status
                )
            number, bin_path = self._claim_number()
            png_path = bin_path.with_suffix(".png")
            fault, self._fault_during_next_job = self._fault_during_next_job, None
            try:
                bin_path.write_bytes(data)
                rendered = render_escpos(data, width_dots=self.width_dots)
                if fault is not None:
                    image = rendered.image
                    rendered = replace(rendered, image=image.crop(
                        (0, 0, image.width, max(1, round(image.height * fault[1])))))
                    self._status = fault[0]
                rendered.image.save(png_path, format="PNG")
            except OSError as error:
                raise PrinterConnectionError(
                    f"{self.url}: cannot write job {number}: {error}"
                ) from error
            self._jobs.append(VirtualJob(number, bin_path, png_path, rendered,
                                         complete=fault is None))
        if fault is None:
            logger.info("virtual printer %s printed job %d to %s", self.url, number, png_path)
        else:
            logger.info("virtual printer %s stopped job %d part-way (%s)", self.url, number,
                        fault[0])

    def status(self) -> PrinterStatus:
        """The simulated status (healthy until :meth:`simulate` says otherwise)."""
        with self._lock:
            return self._status

    def simulate(self, status: PrinterStatus) -> None:
        """Make the printer report ``status`` from now on, e.g.
        ``simulate(PrinterStatus(online=False, paper_out=True))``; ``PrinterStatus()`` heals it.
        """
        with self._lock:
            self._status = status
        logger.info("virtual printer %s now simulates %s", self.url, status)

    def fault_during_next_job(self, status: PrinterStatus, printed_share: float = 0.5) -> None:
        """Make the next job stop part-way, as when the paper runs out while it prints: the
        job is accepted (``write`` returns), only the first ``printed_share`` of its length
        comes out (its PNG is cut off there), and from then on the printer reports ``status``
        (e.g. ``PrinterStatus(online=False, paper_out=True)``).

        Raises:
            ValueError: ``status`` is ready (that is no fault) or ``printed_share`` is not
                within 0..1.
        """
        if status.ready:
            raise ValueError(f"status must be a fault, got a ready printer: {status}")
        if not 0.0 <= printed_share <= 1.0:
            raise ValueError(f"printed_share must be within 0..1, got {printed_share}")
        with self._lock:
            self._fault_during_next_job = (status, printed_share)

    @property
    def jobs(self) -> tuple[VirtualJob, ...]:
        """Jobs printed by this instance, oldest first."""
        with self._lock:
            return tuple(self._jobs)

    def close(self) -> None:
        """Stop accepting jobs. Idempotent; the files stay."""
        with self._lock:
            self._closed = True

    def _claim_number(self) -> tuple[int, Path]:
        """Reserve the next free job number by creating its ``.bin`` exclusively, so two
        processes sharing a folder never overwrite each other's jobs."""
        while True:
            number = self._next_number
            self._next_number += 1
            path = self.directory / f"job-{number:06d}.bin"
            try:
                with path.open("xb"):
                    return number, path
            except FileExistsError:
                continue
            except OSError as error:
                raise PrinterConnectionError(
                    f"{self.url}: cannot create {path.name}: {error}"
                ) from error
