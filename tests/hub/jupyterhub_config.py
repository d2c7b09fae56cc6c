# JupyterHub configuration for tests/hub: a real Hub and configurable-http-proxy on loopback,
# a dummy authenticator, and single-user servers started as local processes.
#
# Everything that varies between runs comes from SMTPLEARN_HUB_* environment variables set by
# tests/hub/hub.py (ports, token, state directory, proxy command). Never use this for a real
# class: DummyAuthenticator accepts any password and SimpleLocalProcessSpawner gives the
# users no isolation from each other. The README's "On your JupyterHub" section says what a
# real deployment uses instead.

import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub defines get_config when it loads this file)

settings = json.loads(os.environ["SMTPLEARN_HUB_SETTINGS"])
state = Path(settings["state_dir"])

c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['public_port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [settings["proxy_command"]]
c.ConfigurableHTTPProxy.auth_token = settings["proxy_token"]
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True

# The test is a service whose token may create users, start their servers and talk to them.
c.JupyterHub.services = [{"name": "smtplearn-tests", "api_token": settings["api_token"]}]
c.JupyterHub.load_roles = [
    {
        "name": "smtplearn-tests",
        "scopes": ["admin:users", "admin:servers", "access:servers"],
        "services": ["smtplearn-tests"],
    }
]
# Starting a server answers at once (202); the test waits on the progress event stream.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
# The single-user server of the interpreter running the test, so the kernels import the same
# smtplearn (PYTHONPATH is in Spawner.env_keep).
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
# Jupyter Server refuses to run as root without this; CI and these machines run as root.
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
# Ten servers start at once on a 2-core machine: give each time to come up.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180


def _classroom(name: str):
    """The user's `user_options` value for *name* (classroom mode), or "" when not started so."""
    return lambda spawner: str((spawner.user_options or {}).get(name, ""))


# Classroom mode, chosen per start through the REST API's user_options: every kernel the
# server starts inherits these, as it would from an instructor's c.Spawner.environment.
c.Spawner.environment = {
    "SMTPLEARN_SERVER": _classroom("smtplearn_server"),
    "SMTPLEARN_CA": _classroom("smtplearn_ca"),
}
