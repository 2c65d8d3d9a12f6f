"""The test PBX process: generated files, start/ready/stop, status, bad input."""

import os
import socket
import stat

import pytest

from contracts.errors import InputError, StateError
from sip import pbx as pbx_mod
from sip.inventory import PbxInventory, Tenant, demo_inventory
from sip.pbx import PbxSettings, options_ping, start_pbx

pytestmark = pytest.mark.sip


def test_run_dir_and_files_are_private_and_config_holds_no_password(demo_pbx):
    run = demo_pbx.run_dir
    assert stat.S_IMODE(os.stat(run).st_mode) == 0o700
    for name in ("kamailio.cfg", "pbx.sqlite", "inventory.json", "pbx.json", "kamailio.log", "kamailio.pid"):
        assert stat.S_IMODE(os.stat(run / name).st_mode) == 0o600, name
    config = (run / "kamailio.cfg").read_text()
    assert f"listen=udp:127.0.0.1:{demo_pbx.settings.port}" in config
    assert '"calculate_ha1", 0' in config and '"password_column", "ha1"' in config


def test_started_pbx_answers_options_and_records_its_pid(demo_pbx):
    assert options_ping(*demo_pbx.address) == 200
    state = pbx_mod.read_state(demo_pbx.run_dir)
    assert state is not None and state.pid == demo_pbx.pid and pbx_mod.pid_alive(state.pid, demo_pbx.run_dir)
    status = pbx_mod.status(demo_pbx.run_dir)
    assert status["running"] is True and status["options"] == 200


def test_stop_leaves_no_process(pbx_factory):
    pbx = pbx_factory(demo_inventory())
    pid = pbx.pid
    pbx.stop()
    assert not pbx_mod.pid_alive(pid)
    assert pbx_mod.status(pbx.run_dir)["running"] is False
    with pytest.raises(StateError, match="no PBX is running"):
        pbx_mod.down(pbx.run_dir)


def test_port_in_use_is_an_input_error(tmp_path, kamailio):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(InputError, match=f"UDP port {port} on 127.0.0.1 is in use"):
            start_pbx(demo_inventory(), tmp_path / "run", PbxSettings(port=port))
    assert not (tmp_path / "run" / "pbx.json").exists()


def test_second_start_from_the_same_run_dir_is_refused(demo_pbx):
    with pytest.raises(StateError, match="already runs"):
        start_pbx(demo_pbx.inventory, demo_pbx.run_dir, PbxSettings(port=0))


def test_inventory_without_accounts_is_refused(tmp_path, kamailio):
    with pytest.raises(InputError, match="no SIP accounts"):
        start_pbx(PbxInventory((Tenant("a", "a.test", 1),)), tmp_path / "run", PbxSettings(port=0))


def test_missing_kamailio_names_the_apt_command(monkeypatch, tmp_path):
    monkeypatch.setenv("CENTREX_KAMAILIO", str(tmp_path / "no-kamailio"))
    with pytest.raises(StateError, match="apt-get install -y kamailio kamailio-sqlite-modules"):
        start_pbx(demo_inventory(), tmp_path / "run", PbxSettings(port=0))
