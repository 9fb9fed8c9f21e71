"""Workers claiming jobs at once, as `frontdesk run --workers N` does (threads stand in for
processes: each has its own connection and transaction, which is what the claim contends on)."""

from __future__ import annotations

import threading


def claim_concurrently(sessions, workers: int, timeout: float | None = None) -> list[int]:
    """Start ``workers`` claimers together; each takes jobs until none is left. Returns the
    call ids of every job claimed, in claim order (a job claimed twice appears twice)."""
    from ledger import jobs

    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def work(name: str) -> None:
        start.wait()
        while True:
            with sessions() as s:
                job = jobs.claim(s, "transcribe", name)
                s.commit()
                if job is None:
                    return
                with lock:
                    claimed.append(job.call_id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return claimed
