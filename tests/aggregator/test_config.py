"""Configuration: defaults in code, file, environment, and errors that name the key and value."""

import pytest

from aggregator.config import Config, load_config
from aggregator.exceptions import ConfigError


def test_defaults_need_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config == Config()
    assert str(config.db) == "data/wire.db"
    assert config.allow_private_networks is False
    assert "fa" in config.languages and "ar" in config.languages


def test_file_then_environment_override(tmp_path):
    path = tmp_path / "wire.toml"
    path.write_text('db = "x.db"\ncrawl_delay = 5\nlanguages = ["en", "fa"]\n')
    config = load_config(
        path, environ={"WIRE_CRAWL_DELAY": "0.5", "WIRE_ALLOW_PRIVATE_NETWORKS": "1", "WIRE_CRAWL_PER_HOST": "4"}
    )
    assert str(config.db) == "x.db"
    assert config.crawl_delay == 0.5
    assert config.crawl_per_host == 4
    assert config.allow_private_networks is True
    assert config.languages == ("en", "fa")


def test_config_from_WIRE_CONFIG(tmp_path):
    path = tmp_path / "other.toml"
    path.write_text('site_name = "Test Wire"\n')
    assert load_config(environ={"WIRE_CONFIG": str(path)}).site_name == "Test Wire"


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"WIRE_CRAWL_PER_HOST": "many"}, "WIRE_CRAWL_PER_HOST: expected int, got 'many'"),
        ({"WIRE_ALLOW_PRIVATE_NETWORKS": "perhaps"}, "expected true or false, got 'perhaps'"),
        ({"WIRE_SMTP_URL": "mail.example.org"}, "smtp_url: expected smtp://host:port"),
        ({"WIRE_TIMEZONE": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
        ({"WIRE_DRAFT_AT": "someday 25:00"}, "draft_at: expected a weekday and a time"),
        ({"WIRE_LANGUAGES": "en,Farsi"}, "languages: expected ISO 639-1 codes such as 'en', got 'Farsi'"),
        ({"WIRE_CRAWL_PER_HOST": "0"}, "crawl_per_host: must be greater than 0, got 0"),
    ],
)
def test_bad_values_name_the_key_and_value(environ, message):
    with pytest.raises(ConfigError) as error:
        load_config(environ=environ)
    assert message in str(error.value)


def test_unknown_key_in_file_is_refused(tmp_path):
    path = tmp_path / "wire.toml"
    path.write_text("crawl_dealy = 3\n")
    with pytest.raises(ConfigError, match="crawl_dealy: unknown key"):
        load_config(path, environ={})


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", environ={})


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"WIRE_LANGUAGES": "en,xx"}, "languages: unknown language code 'xx'"),
        ({"WIRE_LANGUAGES": "en,zz,fa"}, "languages: unknown language code 'zz'"),
        ({"WIRE_MAIL_FROM": "newsletter"}, "mail_from: not an e-mail address"),
        ({"WIRE_MAIL_FROM": "Wire <newsletter>"}, "got 'Wire <newsletter>'"),
        ({"WIRE_MAIL_FROM": "a@example.org, b@example.org"}, "mail_from: not an e-mail address"),
        ({"WIRE_MAIL_FROM": "news letter@example.org"}, "mail_from: not an e-mail address"),
        ({"WIRE_MAIL_FROM": ""}, "mail_from: not an e-mail address"),
    ],
)
def test_unknown_languages_and_bad_senders_are_refused(environ, message):
    with pytest.raises(ConfigError) as error:
        load_config(environ=environ)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "mail_from",
    ["newsletter@example.org", "Solidarity Wire <newsletter@example.org>", '"Wire, weekly" <n@mail.example.org>'],
)
def test_good_senders_are_accepted(mail_from):
    assert load_config(environ={"WIRE_MAIL_FROM": mail_from}).mail_from == mail_from


def test_every_supported_language_is_known():
    from aggregator.config import DEFAULT_LANGUAGES

    assert load_config(environ={"WIRE_LANGUAGES": " ".join(DEFAULT_LANGUAGES)}).languages == DEFAULT_LANGUAGES


def test_db_path_is_checked_at_start(tmp_path):
    from aggregator.config import check_db_path

    check_db_path(load_config(environ={}, db=tmp_path / "wire.db"))  # a new file in a folder that exists
    with pytest.raises(ConfigError, match=r"db: '.*' is a directory"):
        check_db_path(load_config(environ={}, db=tmp_path))
    with pytest.raises(ConfigError, match=r"db: the directory '.*nowhere' does not exist"):
        check_db_path(load_config(environ={}, db=tmp_path / "nowhere" / "wire.db"))


def test_the_written_file_has_every_key_with_a_comment_and_loads_back_to_the_defaults(tmp_path):
    import dataclasses

    from aggregator.config import config_file_text, describe_settings

    path = tmp_path / "wire.toml"
    path.write_text(config_file_text())
    assert load_config(path, environ={}) == Config()
    names = [field.name for field in dataclasses.fields(Config)]
    assert [setting.name for setting in describe_settings()] == names
    lines = path.read_text().splitlines()
    for setting in describe_settings():
        assert setting.help, f"{setting.name} has no comment beside it in aggregator/config.py"
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{setting.name} = "))
        assert lines[index - 1] == f"# {setting.help}"


def test_the_readme_tabulates_every_key():
    from pathlib import Path

    from aggregator.config import describe_settings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    configuration = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in configuration.splitlines() if line.startswith("| `")]
    expected = [f"| `{s.name}` | `{s.default}` | {s.help} | `{s.env}` |" for s in describe_settings()]
    assert rows == expected, "README's table differs from aggregator/config.py; the rows should be:\n" + "\n".join(
        expected
    )
