"""docker/nginx.conf, checked by nginx itself (Debian's, installed when missing) as the
image includes it: inside the `http` block of the main config."""

import subprocess
from pathlib import Path

from tests.support.containers import DOCKER
from tests.support.debian import debian_binary

MAIN = """
pid {folder}/nginx.pid;
error_log stderr;
events {{}}
http {{
    include {site};
}}
"""


def nginx_test(site: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    main = folder / "nginx.conf"
    main.write_text(MAIN.format(folder=folder, site=site))
    nginx = debian_binary("nginx", "nginx")
    return subprocess.run(
        [nginx, "-t", "-p", str(folder), "-c", str(main)], capture_output=True, text=True
    )


def test_nginx_accepts_the_site_config(tmp_path):
    checked = nginx_test(DOCKER / "nginx.conf", tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_nginx_refuses_a_misspelt_directive(tmp_path):
    misspelt = tmp_path / "site.conf"
    misspelt.write_text((DOCKER / "nginx.conf").read_text().replace("proxy_pass ", "proxy_pas "))
    checked = nginx_test(misspelt, tmp_path)
    assert checked.returncode != 0
    assert "proxy_pas" in checked.stderr
