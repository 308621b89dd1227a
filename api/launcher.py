"""Start everything one machine needs: the action server, Rasa, and the API in front.

    python -m api.launcher          # what `make run` runs; PORT (default 8000), GUIDE_DATA_DIR

Rasa (REST channel, GUIDE_RASA_PORT, default 5005) listens on loopback only, with the custom
actions inside it (GUIDE_ACTIONS_MODULE=actions; empty: a separate action server on
GUIDE_ACTIONS_PORT, default 5055); citizens reach the API, which forwards chat turns to Rasa.
A port already taken by another program stops the start with a message. Each child's output
goes to ``var/log/<name>.log``. Ctrl-C or SIGTERM stops all of them.
"""

from __future__ import annotations

import signal
import sys
import time

from .processes import ServiceFailed, Services, Stack, warm_up
from .settings import ApiSettings


def main() -> int:
    settings = ApiSettings()
    stack = Stack(api_port=settings.port, rasa_port=settings.rasa_port, actions_port=settings.actions_port,
                  rasa_workers=settings.rasa_workers, api_workers=settings.api_workers,
                  actions_module=settings.actions_module, host=settings.host)
    services = Services(stack.env)
    stopping = []

    def stop(*_):
        # once: a second signal (timeout(1) forwards one, Ctrl-C twice) must not cut the stop
        # short, since the services are process groups of their own and only this stop ends them
        if not stopping:
            stopping.append(True)
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        where = "inside Rasa" if stack.actions_module else f"in the action server on :{stack.actions_port}"
        ports = ", ".join(f":{port}" for port in stack.rasa_ports)
        print(f"starting Rasa on {ports} (actions {where}) and the API …", flush=True)
        started = time.monotonic()
        services.start_all(*stack.services())
        # "ready" only once an item question is answered
        warm_up(stack.api_url)
        base = f"http://{settings.host}:{settings.port}"
        print(
            f"ready in {time.monotonic() - started:.1f} s (logs in var/log/):\n"
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
        stopping.append(True)
        services.stop()


if __name__ == "__main__":
    raise SystemExit(main())
