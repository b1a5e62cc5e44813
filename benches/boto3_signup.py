#!/usr/bin/env python3
"""The hand-written boto3 script bulk-signup is compared with.

A typical bulk sign-up as people write it: one boto3 ``cognito-idp`` client
shared by a thread pool, the SDK's own retry mode (``standard`` or
``adaptive``, 8 attempts), one ``SignUp`` per CSV row, no pacing of its own.

    python3 benches/boto3_signup.py --endpoint URL --client-id ID \
        --input users.csv --mode standard|adaptive --workers 16 \
        [--timeline timeline.csv]

Columns ``username`` and ``password`` go to Username/Password; every other
column is a user attribute (empty cells are left out). Prints one JSON line:
``{"elapsed": s, "created": n, "exists": n, "failed": n, "errors": {code: n}}``
(``elapsed`` covers the sign-ups only, not Python start-up or imports).
Passwords are never printed.

``--timeline FILE`` writes one CSV line per second, with the columns of
``bulk-signup run --timeline`` that a boto3 client can observe: ``sent``
(HTTP attempts, counted on botocore's ``before-send`` event), ``accepted``
and ``throttled`` (answers, on ``response-received``, a throttle being
``TooManyRequestsException``), ``retries`` (answers to attempts past a
call's first, from the attempt number botocore keeps in the request context)
and ``in_flight`` (attempts sent and not yet answered, at the second's end). There is no ``pacing_rate``: the script has no pacer,
and adaptive mode's token bucket is internal to botocore.
"""

import argparse
import collections
import csv
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Timeline:
    """Per-second counts of the client's HTTP attempts, from botocore events."""

    COLUMNS = ["sent", "accepted", "throttled", "retries"]

    def __init__(self, path, start):
        self.lock = threading.Lock()
        self.totals = collections.Counter()
        self.before = collections.Counter()
        self.start = start
        self.second = 0
        self.file = open(path, "w", newline="", encoding="utf-8")
        self.file.write("elapsed_seconds,sent,accepted,throttled,retries,in_flight\n")
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def listen(self, events):
        events.register("before-send", lambda **kw: self._count("sent"))
        events.register("response-received", self._answered)

    def _count(self, what):
        with self.lock:
            self.totals[what] += 1

    def _answered(self, parsed_response=None, exception=None, context=None, **kwargs):
        code = ((parsed_response or {}).get("Error") or {}).get("Code")
        attempt = ((context or {}).get("retries") or {}).get("attempt", 1)
        with self.lock:
            self.totals["returned"] += 1
            self.totals["retries"] += attempt > 1
            if exception is None:
                throttled = code == "TooManyRequestsException"
                self.totals["throttled" if throttled else "accepted"] += 1

    def _line(self):
        with self.lock:
            now = collections.Counter(self.totals)
        self.second += 1
        cells = [self.second] + [now[c] - self.before[c] for c in self.COLUMNS]
        cells.append(now["sent"] - now["returned"])
        self.before = now
        self.file.write(",".join(str(c) for c in cells) + "\n")
        self.file.flush()

    def _run(self):
        # A line as each second of the run ends, like bulk-signup's.
        while not self.done.wait(self.start + self.second + 1 - time.monotonic()):
            self._line()

    def stop(self):
        self.done.set()
        self.thread.join()
        self._line()  # the part-second the run ended in
        self.file.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--mode", choices=["standard", "adaptive"], required=True)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--timeline")
    args = parser.parse_args()

    # SignUp is unsigned, but botocore wants credentials to exist.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "x")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "x")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    import boto3
    import botocore.config
    from botocore.exceptions import ClientError

    config = botocore.config.Config(
        retries={"mode": args.mode, "max_attempts": 8},
        max_pool_connections=args.workers,
    )
    client = boto3.session.Session().client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=args.endpoint,
        config=config,
    )

    with open(args.input, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    counts = collections.Counter()
    errors = collections.Counter()
    lock = threading.Lock()

    def sign_up(row):
        attributes = [
            {"Name": name, "Value": value}
            for name, value in row.items()
            if name not in ("username", "password") and value
        ]
        try:
            client.sign_up(
                ClientId=args.client_id,
                Username=row["username"],
                Password=row["password"],
                UserAttributes=attributes,
            )
            outcome, code = "created", None
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "ClientError")
            outcome = "exists" if code == "UsernameExistsException" else "failed"
        except Exception as e:  # connection errors and the like
            outcome, code = "failed", type(e).__name__
        with lock:
            counts[outcome] += 1
            if outcome == "failed":
                errors[code] += 1

    start = time.monotonic()
    timeline = Timeline(args.timeline, start) if args.timeline else None
    if timeline:
        timeline.listen(client.meta.events)
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        # Consume the iterator so a bug in sign_up surfaces instead of vanishing.
        for _ in pool.map(sign_up, rows):
            pass
    elapsed = time.monotonic() - start
    if timeline:
        timeline.stop()

    print(
        json.dumps(
            {
                "elapsed": round(elapsed, 3),
                "created": counts["created"],
                "exists": counts["exists"],
                "failed": counts["failed"],
                "errors": dict(errors),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
