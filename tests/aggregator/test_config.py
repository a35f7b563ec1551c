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
    config = load_config(path, environ={"WIRE_CRAWL_DELAY": "0.5", "WIRE_ALLOW_PRIVATE_NETWORKS": "1",
                                        "WIRE_CRAWL_PER_HOST": "4"})
    assert str(config.db) == "x.db"
    assert config.crawl_delay == 0.5
    assert config.crawl_per_host == 4
    assert config.allow_private_networks is True
    assert config.languages == ("en", "fa")


def test_config_from_WIRE_CONFIG(tmp_path):
    path = tmp_path / "other.toml"
    path.write_text('site_name = "Test Wire"\n')
    assert load_config(environ={"WIRE_CONFIG": str(path)}).site_name == "Test Wire"


@pytest.mark.parametrize("environ, message", [
    ({"WIRE_CRAWL_PER_HOST": "many"}, "WIRE_CRAWL_PER_HOST: expected int, got 'many'"),
    ({"WIRE_ALLOW_PRIVATE_NETWORKS": "perhaps"}, "expected true or false, got 'perhaps'"),
    ({"WIRE_SMTP_URL": "mail.example.org"}, "smtp_url: expected smtp://host:port"),
    ({"WIRE_TIMEZONE": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
    ({"WIRE_DRAFT_AT": "someday 25:00"}, "draft_at: expected a weekday and a time"),
    ({"WIRE_LANGUAGES": "en,Farsi"}, "languages: expected ISO 639-1 codes such as 'en', got 'Farsi'"),
    ({"WIRE_CRAWL_PER_HOST": "0"}, "crawl_per_host: must be greater than 0, got 0"),
])
def test_bad_values_name_the_key_and_value(environ, message):
    with pytest.raises(ConfigError) as error:
        load_config(environ=environ)
    assert message in str(error.value)


def test_unknown_key_in_file_is_refused(tmp_path):
    path = tmp_path / "wire.toml"
    path.write_text('crawl_dealy = 3\n')
    with pytest.raises(ConfigError, match="crawl_dealy: unknown key"):
        load_config(path, environ={})


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", environ={})
