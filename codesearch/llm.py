"""The chat model behind ``/code/ask``: OpenAI or any OpenAI-compatible server (``OPENAI_BASE_URL``),
through the official ``openai`` client."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from repotoire.api.exceptions import ServiceUnavailable

NOT_CONFIGURED = (
    "No LLM is configured for /code/ask. Set OPENAI_API_KEY (and OPENAI_MODEL, default gpt-4o-mini); "
    "for an OpenAI-compatible server also set OPENAI_BASE_URL, e.g. http://localhost:11434/v1."
)


@dataclass
class ChatResult:
    text: str
    model: str
    usage: dict[str, int] = field(default_factory=dict)


def llm_configured() -> bool:
    return bool(settings.OPENAI_API_KEY)


def chat(messages: list[dict[str, str]], *, max_tokens: int = 800) -> ChatResult:
    """One chat completion at temperature 0; ServiceUnavailable when unconfigured or failing."""
    if not llm_configured():
        raise ServiceUnavailable(NOT_CONFIGURED, error_code="LLM_NOT_CONFIGURED")
    import openai

    client = openai.OpenAI(api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL, timeout=90.0, max_retries=1)
    try:
        response = client.chat.completions.create(
            model=settings.OPENAI_MODEL,
            messages=messages,  # type: ignore[arg-type]
            temperature=0,
            max_tokens=max_tokens,
        )
    except openai.OpenAIError as exc:
        raise ServiceUnavailable(f"The LLM request failed ({exc.__class__.__name__})", error_code="LLM_UNAVAILABLE") from exc
    choice = response.choices[0] if response.choices else None
    text = (choice.message.content if choice and choice.message else "") or ""
    usage = response.usage
    return ChatResult(
        text=text,
        model=response.model or settings.OPENAI_MODEL,
        usage={
            "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
            "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
            "total_tokens": int(getattr(usage, "total_tokens", 0) or 0),
        },
    )
