"""The ``yiwang`` command: ``manage.py`` for an installed Yiwang, plus the platform's own commands.

yiwang serve [--host 127.0.0.1] [--port 8000]   web server (gunicorn)
yiwang worker                                  background tasks, audit sealing, case webhooks, 容缺 reminders
yiwang demo load                               load the demo region (临沂市), catalog, cases and log-ins
yiwang audit verify | seal                     check / extend the audit hash chain
yiwang openapi --check | --write               compare / refresh docs/openapi.json
yiwang genkey                                  print a new YIWANG_DATA_KEY
yiwang token create USERNAME                   issue a bearer token for a machine client
yiwang oidc create-key | rotate-keys | keys     OpenID Connect signing keys; register-client for scripts
yiwang calendar show YEAR | range              the working-day calendar (工作日历)
yiwang files check                             every stored file exists and matches its SHA-256
yiwang cases webhook-add | webhooks | push | remind   审管联动 subscriptions, pushes, 容缺 reminders
yiwang <any manage.py command>                 migrate, createsuperuser, check, …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yiwang", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
