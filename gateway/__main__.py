"""`python -m gateway` runs the `sms-gateway` command."""

import sys

from gateway.cli import main

sys.exit(main())
