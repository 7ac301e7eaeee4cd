"""Fixtures for portico's end-to-end tests (run with Debian's /usr/bin/python3 -m pytest).

PORTICO_BIN names the binary under test (default: <repo>/build/portico)."""
import pytest

from e2elib import EchoBackend, EvilBackend, NginxBackend, Portico, free_port


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (multi-GB transfers, load)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for p in list(Portico.live):
            rep.sections.append(("portico %s stderr (%s)" % (p.name, p.stderr_path), p.stderr()))


class Factory:
    """Starts things and stops them all at teardown (in reverse order)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.items = []
        self.n = 0

    def portico(self, config, start=True, name=None, **kw):
        self.n += 1
        p = Portico(self.workdir / ("portico%d" % self.n), config,
                    name=name or "portico%d" % self.n, **kw)
        self.items.append(p)
        if start:
            p.start()
        return p

    def echo(self, name, **kw):
        b = EchoBackend(self.workdir / "backends", name, **kw)
        self.items.append(b)
        return b.start()

    def evil(self, script, **kw):
        b = EvilBackend(script, **kw)
        self.items.append(b)
        return b

    def nginx(self, **kw):
        self.n += 1
        b = NginxBackend(self.workdir / ("nginx%d" % self.n), **kw)
        self.items.append(b)
        return b.start()

    def close(self):
        errors = []
        for it in reversed(self.items):
            try:
                it.stop()
            except Exception as e:  # noqa: BLE001 - all get stopped, first error re-raised
                errors.append(e)
        self.items = []
        if errors:
            raise errors[0]


@pytest.fixture
def procs(tmp_path):
    """Function-scoped factory: procs.portico(cfg), procs.echo(name), procs.evil(bytes)...
    Porticos are stopped with SIGTERM at teardown and must exit 0."""
    f = Factory(tmp_path)
    yield f
    f.close()


@pytest.fixture(scope="module")
def module_procs(tmp_path_factory):
    f = Factory(tmp_path_factory.mktemp("module"))
    yield f
    f.close()


@pytest.fixture(scope="session")
def session_procs(tmp_path_factory):
    f = Factory(tmp_path_factory.mktemp("session"))
    yield f
    f.close()


@pytest.fixture
def port():
    return free_port()
