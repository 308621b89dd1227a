"""Start everything one machine needs: the action server, Rasa, and the API in front.

    python -m api.launcher          # what `make run` runs; PORT (default 8000), GUIDE_DATA_DIR

Rasa (REST channel) and the action server listen on loopback only; citizens reach the API,
which forwards chat turns to Rasa. Each child's output goes to ``var/log/<name>.log``. Ctrl-C or
SIGTERM stops all of them.
"""

from __future__ import annotations

import signal
import sys
import time

from .processes import ServiceFailed, Services, api_server, rasa_actions, rasa_server, warm_up
from .settings import ApiSettings


def main() -> int:
    settings = ApiSettings()
    services = Services()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print("starting the action server and Rasa (Rasa loads its model in about 20 s) …", flush=True)
        services.start_all(rasa_actions(), rasa_server(), api_server(settings.host, settings.port))
        # "ready" only once an item question is answered
        warm_up(f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '::', '') else settings.host}:{settings.port}")
        base = f"http://{settings.host}:{settings.port}"
        print(
            f"ready (logs in var/log/):\n"
            f"  web chat       {base}/\n"
            f"  kiosk          {base}/kiosk\n"
            f"  agent console  {base}/agent   token: {settings.secret('agent_token')}\n"
            f"  admin          {base}/admin   token: {settings.secret('admin_token')}\n"
            f"  API docs       {base}/docs\n"
            f"  WeChat         {base}/wechat  {'(token set)' if settings.wechat_token else '(set GUIDE_API_WECHAT_TOKEN to enable)'}",
            flush=True,
        )
        while (stopped := services.first_exited()) is None:
            time.sleep(1)
        print(f"{stopped} exited; stopping. See var/log/{stopped}.log", file=sys.stderr)
        return 1
    except ServiceFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        services.stop()


if __name__ == "__main__":
    raise SystemExit(main())
