"""`make run`: the web app, the timer worker and the SMTP capture, started and stopped together."""

import argparse
import os
import signal
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    args = parser.parse_args()
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    commands = {
        "smtp": flask + ["dev", "smtp"],
        "worker": flask + ["workflow", "worker"],
        "web": flask + ["run", "--host", args.host, "--port", str(args.port)],
    }
    processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    print(
        f"\n  NACCS 機器共用申込: http://{args.host}:{args.port}/   (mail: /dev/mail, clock: /dev/clock)\n",
        flush=True,
    )

    def stop(*_):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    failed = [n for n, p in processes.items() if p.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
