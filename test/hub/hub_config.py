# JupyterHub configuration of the class hub (test/hub/classhub.py writes `CLASS = {...}` above
# this file's text). The same choices a course's hub makes, on 127.0.0.1:
# LocalProcessSpawner (each student's server runs as that student), the class image's
# environment and start script, JupyterLab as the default page, an idle culler.
# ruff: noqa: F821  (c and CLASS are given)

from jupyterhub.auth import LocalAuthenticator
from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

class ClassAuthenticator(LocalAuthenticator, SharedPasswordAuthenticator):
    """One shared password; missing allowed students become Unix users at hub start (adduser)."""

c = get_config()  # noqa: F821
work = CLASS["workdir"]

c.JupyterHub.bind_url = f"http://127.0.0.1:{CLASS['port']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = CLASS["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{CLASS['api_port']}"
c.ConfigurableHTTPProxy.command = [CLASS["proxy"]]
c.ConfigurableHTTPProxy.pid_file = f"{work}/jupyterhub-proxy.pid"
c.JupyterHub.db_url = f"sqlite:///{work}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{work}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{work}/jupyterhub.pid"

c.JupyterHub.authenticator_class = ClassAuthenticator
c.Authenticator.allowed_users = set(CLASS["students"])
c.SharedPasswordAuthenticator.user_password = CLASS["password"]
c.LocalAuthenticator.create_system_users = True

c.JupyterHub.spawner_class = "localprocess"
# binder/start first (it links ~/node_modules to the image's), as repo2docker's entrypoint runs it
c.Spawner.cmd = [CLASS["start"], f"{CLASS['env']}/bin/jupyterhub-singleuser"]
c.Spawner.environment = {"NB_PYTHON_PREFIX": CLASS["env"], "JUPYTERHUB_ACTIVITY_INTERVAL": "10"}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.last_activity_interval = 10

# A service with the admin role: the tests' and the benchmark's hand on the hub's API.
c.JupyterHub.services = [{"name": "class-admin", "api_token": CLASS["admin_token"]}]
roles = [{"name": "admin", "services": ["class-admin"]}]

if CLASS["cull_timeout"]:
    c.JupyterHub.services.append({
        "name": "idle-culler",
        "command": [CLASS["python"], "-m", "jupyterhub_idle_culler",
                    f"--timeout={CLASS['cull_timeout']}", "--cull-every=5"],
    })
    roles.append({
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    })
c.JupyterHub.load_roles = roles
