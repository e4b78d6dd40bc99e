"""Rate limits (15-minute and daily windows, Strava's headers) and injected faults."""

from __future__ import annotations

from .replies import Reply, error_reply, json_reply, unauthorized
from .state import Fault, World

FAULT_KINDS = frozenset({"429", "500", "slow", "401", "403_inactive", "timeout"})


def fault_reply(kind: str) -> Reply:
    if kind == "429":
        return error_reply(429, "Rate Limit Exceeded", ("Application", "rate limit", "exceeded"))
    if kind == "500":
        return json_reply(500, {"message": "Internal Server Error"})
    if kind == "401":
        return unauthorized()
    return error_reply(403, "Forbidden", ("Application", "Status", "Inactive"))


class Limits(World):
    """Usage counting against the overall and read limits, and the faults tests inject."""

    def fail_next(
        self, path_prefix: str, kind: str, *, times: int = 1, seconds: float = 3.0
    ) -> None:
        """The next ``times`` requests whose path starts with ``path_prefix`` fail as ``kind``.

        ``429``, ``500``, ``401``, ``403_inactive`` answer with Strava's error; ``slow`` and
        ``timeout`` sleep ``seconds`` and then answer normally (pick ``seconds`` above the
        client's timeout for ``timeout``)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(path_prefix, kind, times, seconds))

    def exhaust_rate_limit(self, which: str = "read", *, daily: bool = False) -> None:
        """Usage at the 15-minute (or daily) limit: the next counted call gets 429."""
        if which not in {"read", "overall"}:
            raise ValueError("which must be 'read' or 'overall'")
        with self._lock:
            self._roll_window()
            base = 2 if which == "read" else 0
            limits = self.read_rate_limit if which == "read" else self.rate_limit
            slot = base + (1 if daily else 0)
            self._usage[slot] = max(self._usage[slot], limits[1 if daily else 0])

    def reset_rate_window(self, daily: bool = False) -> None:
        """A new 15-minute window (and, with ``daily``, a new day)."""
        with self._lock:
            self._usage[0] = self._usage[2] = 0
            if daily:
                self._usage[1] = self._usage[3] = 0

    @property
    def usage(self) -> dict[str, tuple[int, int]]:
        """Current usage: {"overall": (15 min, day), "read": (15 min, day)}."""
        with self._lock:
            self._roll_window()
            return {
                "overall": (self._usage[0], self._usage[1]),
                "read": (self._usage[2], self._usage[3]),
            }

    def _roll_window(self) -> None:
        window = self._current_window()
        if window[0] != self._window[0]:
            self._usage[0] = self._usage[2] = 0
        if window[1] != self._window[1]:
            self._usage[1] = self._usage[3] = 0
        self._window = window

    def _rate_headers(self, method: str, *, exhausted: bool = False) -> dict[str, str]:
        usage = list(self._usage)
        if exhausted:
            usage[0] = max(usage[0], self.rate_limit[0])
            if method == "GET":
                usage[2] = max(usage[2], self.read_rate_limit[0])
        return {
            "X-RateLimit-Limit": f"{self.rate_limit[0]},{self.rate_limit[1]}",
            "X-RateLimit-Usage": f"{usage[0]},{usage[1]}",
            "X-ReadRateLimit-Limit": f"{self.read_rate_limit[0]},{self.read_rate_limit[1]}",
            "X-ReadRateLimit-Usage": f"{usage[2]},{usage[3]}",
        }

    def _over_limit(self, method: str) -> bool:
        u, (short, day) = self._usage, self.rate_limit
        if u[0] > short or u[1] > day:
            return True
        read_short, read_day = self.read_rate_limit
        return method == "GET" and (u[2] > read_short or u[3] > read_day)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
