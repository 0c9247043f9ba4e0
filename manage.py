#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Commands that read the code and write files, and serve nothing: they run without a SECRET_KEY
# (config/settings.py), so `manage.py makemigrations --check` works on a fresh clone as it is.
OFFLINE_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate", "makemessages", "compilemessages", "spectacular"}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        os.environ["WAYMARK_OFFLINE_COMMAND"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
