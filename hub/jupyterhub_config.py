# JupyterHub for one class on one machine: the configuration tests/test_hub.py starts, with five
# students who each open an assignment link, work, save, and are graded.
#
#   jupyterhub -f hub/jupyterhub_config.py
#
# It runs JupyterHub, its proxy (configurable-http-proxy, from npm: `npm ci` installs it in
# node_modules/) and one Jupyter server per student, all from this repository's environment
# (.venv, the dev or student role). Settings come from the environment:
#
#   TRUSTLAB_HUB_STATE   folder for the hub's database, secrets and (test mode) the homes
#   TRUSTLAB_HUB_URL     address students open (default http://127.0.0.1:8000)
#   TRUSTLAB_HUB_PORTS   two free local ports for the hub's API and the proxy's API
#   TRUSTLAB_HUB_ADMIN_TOKEN  API token of the "instructor" service: it may read every
#                        student's server (to collect notebooks) and manage users
#   TRUSTLAB_HUB_TEST_PASSWORD  test mode: any user name logs in with this password, and every
#                        student's server runs as the current system user with its home in
#                        TRUSTLAB_HUB_STATE/home/<name>. Only for tests: students are not kept
#                        apart from one another.
#
# Without the test password, users are the machine's accounts (PAM) and each server runs as
# its student's system user (start the hub as root). For a real class on one server, The
# Littlest JupyterHub sets up the same pieces with memory and CPU limits enforced by systemd:
# see "Running the course for a class" in book/instructor-guide.md.
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - defined by JupyterHub when it reads this file

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("TRUSTLAB_HUB_STATE", "/srv/trustlab-hub"))
STATE.mkdir(parents=True, exist_ok=True)
BIN = Path(sys.executable).parent

c.JupyterHub.bind_url = os.environ.get("TRUSTLAB_HUB_URL", "http://127.0.0.1:8000")
hub_port, proxy_port = (os.environ.get("TRUSTLAB_HUB_PORTS") or "8081 8001").split()
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_port}"
proxy = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
if proxy.is_file():
    c.ConfigurableHTTPProxy.command = [str(proxy)]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server

# Each student's server: JupyterLab, opened on the assignment (nbgitpuller's urlpath).
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
# Kernels talk to their server over Unix sockets in the student's runtime folder, not TCP
# ports: with a class starting kernels at once on one machine, a free port picked for one
# kernel can be taken by another before it binds ("Address already in use"), and a TCP port
# is reachable by every account on the machine.
c.Spawner.args = ["--KernelManager.transport=ipc"]
c.Spawner.http_timeout = 60  # a server's first start on a busy machine
c.Spawner.start_timeout = 120
# What tests/test_hub.py measured per student server running an exercise, with headroom
# (hub/measurements.json). Spawners that enforce limits (systemd, Kubernetes) use these.
c.Spawner.mem_limit = "1G"
c.Spawner.mem_guarantee = "512M"
c.Spawner.cpu_limit = 1.0
c.Spawner.cpu_guarantee = 0.05
# Kernels refuse connections to other hosts (the course runs offline; trustlab/offline.py), and
# JupyterLab fetches no news or update notices from the internet (config/jupyter; the image
# built from binder/ carries the same file).
c.Spawner.environment = {"TRUSTLAB_OFFLINE": "1", "PYTHONPATH": str(ROOT / "tools" / "offline"),
                         "JUPYTER_CONFIG_PATH": str(ROOT / "config" / "jupyter")}

token = os.environ.get("TRUSTLAB_HUB_ADMIN_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "instructor", "api_token": token}]
    c.JupyterHub.load_roles = [{
        "name": "instructor",
        "scopes": ["list:users", "read:users", "admin:servers", "access:servers", "tokens"],
        "services": ["instructor"],
    }]

password = os.environ.get("TRUSTLAB_HUB_TEST_PASSWORD")
if password:
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = password
    c.Authenticator.allow_all = True
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
    # A Unix socket's path has at most 107 characters: a test's deep temporary folders would
    # not leave room for the kernels' sockets, so they get a short folder of their own.
    runtime = os.environ.get("TRUSTLAB_HUB_RUNTIME")
    if runtime:
        c.Spawner.environment["JUPYTER_RUNTIME_DIR"] = \
            lambda spawner: f"{runtime}/{spawner.user.name}"
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a CI container runs tests as root
        c.Spawner.args = [*c.Spawner.args, "--allow-root"]
else:
    c.JupyterHub.authenticator_class = "pam"
    c.Authenticator.allow_existing_users = True
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
