"""Settings of the index package, from the environment.

    >>> from index.settings import IndexSettings
    >>> IndexSettings().data_dir          # GUIDE_DATA_DIR, default var/data
    PosixPath('var/data')

``ELASTICSEARCH_URL`` set means: use Elasticsearch instead of the embedded index.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IndexSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUIDE_INDEX_", extra="ignore")

    data_dir: Path = Field(Path("var/data"), validation_alias=AliasChoices("GUIDE_DATA_DIR", "GUIDE_INDEX_DATA_DIR"))
    elasticsearch_url: str | None = Field(
        None, validation_alias=AliasChoices("ELASTICSEARCH_URL", "GUIDE_INDEX_ELASTICSEARCH_URL")
    )
    # The alias that always points at the live index; reloads build '<alias>-<timestamp>' and swap.
    elasticsearch_alias: str = "guide-items"
    # Seconds each request to Elasticsearch may take: loads and whole-index reads…
    elasticsearch_timeout: float = 5.0
    # …and what a citizen waits for (search, a record, the lexicon): short enough that a chat
    # turn or a WeChat passive reply (4 s deadline) can still say "please try later" in time.
    elasticsearch_search_timeout: float = 2.0
    # After a failure, calls fail at once for this many seconds, then one tries again (0: off).
    elasticsearch_retry_after: float = 1.0
    # Items re-ranked by meaning (index.semantic); off: by words alone.
    semantic: bool = True
    # Passage vectors by model and text, shared by every process and kept across loads.
    vector_cache: Path = Field(
        Path("var/cache/vectors.sqlite"), validation_alias=AliasChoices("GUIDE_VECTOR_CACHE", "GUIDE_INDEX_VECTOR_CACHE")
    )
