#!/usr/bin/env python3
"""The hand-written boto3 script bulk-signup is compared with.

A typical bulk sign-up as people write it: one boto3 ``cognito-idp`` client
shared by a thread pool, the SDK's own retry mode (``standard`` or
``adaptive``, 8 attempts), one ``SignUp`` per CSV row, no pacing of its own.

    python3 benches/boto3_signup.py --endpoint URL --client-id ID \
        --input users.csv --mode standard|adaptive --workers 16

Columns ``username`` and ``password`` go to Username/Password; every other
column is a user attribute (empty cells are left out). Prints one JSON line:
``{"elapsed": s, "created": n, "exists": n, "failed": n, "errors": {code: n}}``
(``elapsed`` covers the sign-ups only, not Python start-up or imports).
Passwords are never printed.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--mode", choices=["standard", "adaptive"], required=True)
    parser.add_argument("--workers", type=int, default=16)
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
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        # Consume the iterator so a bug in sign_up surfaces instead of vanishing.
        for _ in pool.map(sign_up, rows):
            pass
    elapsed = time.monotonic() - start

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
