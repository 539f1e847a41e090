"""`make run`: the web app, the timer worker and the SMTP capture, started and stopped together;
a child that dies is started again after a back-off (app/supervisor.py)."""

import argparse
import os
import sys

from app.supervisor import Supervisor, run_until_signalled


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    args = parser.parse_args()
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    # The children inherit the development config explicitly (an unset APP_CONFIG is production).
    os.environ["APP_CONFIG"] = "development"
    supervisor = Supervisor(
        {
            "smtp": flask + ["dev", "smtp"],
            "worker": flask + ["workflow", "worker"],
            "web": flask + ["run", "--host", args.host, "--port", str(args.port)],
        }
    )
    print(
        f"\n  NACCS 機器共用申込: http://{args.host}:{args.port}/   (mail: /dev/mail, clock: /dev/clock)\n",
        flush=True,
    )

    return run_until_signalled(supervisor)


if __name__ == "__main__":
    sys.exit(main())
