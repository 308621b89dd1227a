"""Settings of the API package.

    >>> from api.settings import ApiSettings
    >>> ApiSettings().port        # PORT, default 8000
    8000
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUIDE_API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, validation_alias=AliasChoices("PORT", "GUIDE_API_PORT"))
    # Public base URL used in links sent out of the page (SMS, WeChat); empty: relative links.
    public_url: str = ""
    # Rasa's REST channel, on loopback (started by api.launcher).
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout: float = 10.0
