"""Input and output serializers of code search, ask and embedding status (no business logic)."""

from __future__ import annotations

from rest_framework import serializers

from codesearch.models import ChunkKind, IndexStatus

MAX_QUERY_CHARS = 1000
MAX_TOP_K = 50
MAX_ASK_TOP_K = 20


class CodeSearchInputSerializer(serializers.Serializer):
    query = serializers.CharField(
        max_length=MAX_QUERY_CHARS, help_text=f"Natural language or identifiers (≤ {MAX_QUERY_CHARS} characters)."
    )
    repository_id = serializers.UUIDField(required=False, allow_null=True)
    language = serializers.CharField(max_length=20, required=False, allow_blank=True)
    path = serializers.CharField(max_length=1000, required=False, allow_blank=True, help_text="Path prefix, e.g. `src/auth/`.")
    kind = serializers.ChoiceField(choices=ChunkKind.choices, required=False)
    top_k = serializers.IntegerField(min_value=1, max_value=MAX_TOP_K, default=10)
    mode = serializers.ChoiceField(
        choices=[("hybrid", "hybrid"), ("vector", "vector"), ("text", "text")],
        default="hybrid",
        help_text="hybrid (default): vector and full-text ranks fused; vector or text alone for comparison.",
    )


class CodeAskInputSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=MAX_QUERY_CHARS)
    repository_id = serializers.UUIDField(required=False, allow_null=True)
    top_k = serializers.IntegerField(min_value=1, max_value=MAX_ASK_TOP_K, default=8)


class CodeSearchFindingOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    detector = serializers.CharField()
    severity = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    line = serializers.IntegerField()
    end_line = serializers.IntegerField()


class CodeSearchResultOutputSerializer(serializers.Serializer):
    chunk_id = serializers.IntegerField(source="chunk.id")
    repository_id = serializers.UUIDField(source="chunk.repository_id")
    repository = serializers.CharField(source="chunk.repository.name")
    commit_sha = serializers.CharField(source="chunk.commit_sha")
    file = serializers.CharField(source="chunk.path")
    qualified_name = serializers.CharField(source="chunk.qualname")
    kind = serializers.CharField(source="chunk.kind")
    language = serializers.CharField(source="chunk.language")
    start_line = serializers.IntegerField(source="chunk.start_line")
    end_line = serializers.IntegerField(source="chunk.end_line")
    snippet = serializers.SerializerMethodField()
    score = serializers.FloatField(help_text="Reciprocal-rank-fusion score (higher is better).")
    vector_rank = serializers.IntegerField(allow_null=True)
    text_rank = serializers.IntegerField(allow_null=True)
    findings = CodeSearchFindingOutputSerializer(many=True)

    def get_snippet(self, hit: object) -> str:
        lines = hit.chunk.content.splitlines()  # type: ignore[attr-defined]
        text = "\n".join(lines[:25])
        return text if len(lines) <= 25 else text + "\n..."


class CodeSearchOutputSerializer(serializers.Serializer):
    query = serializers.CharField()
    mode = serializers.CharField()
    model = serializers.CharField()
    results = CodeSearchResultOutputSerializer(many=True)


class CodeAskSourceOutputSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="The number the answer cites as [n].")
    chunk_id = serializers.IntegerField(source="hit.chunk.id")
    repository_id = serializers.UUIDField(source="hit.chunk.repository_id")
    repository = serializers.CharField(source="hit.chunk.repository.name")
    file = serializers.CharField(source="hit.chunk.path")
    qualified_name = serializers.CharField(source="hit.chunk.qualname")
    kind = serializers.CharField(source="hit.chunk.kind")
    start_line = serializers.IntegerField(source="hit.chunk.start_line")
    end_line = serializers.IntegerField(source="hit.chunk.end_line")
    score = serializers.FloatField(source="hit.score")


class CodeAskUsageOutputSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class CodeAskOutputSerializer(serializers.Serializer):
    answer = serializers.CharField()
    sources = CodeAskSourceOutputSerializer(many=True)
    citations = serializers.ListField(child=serializers.IntegerField(), help_text="Source numbers the answer cites.")
    dropped_citations = serializers.ListField(
        child=serializers.IntegerField(), help_text="Numbers the model cited that match no source (removed from the answer)."
    )
    model = serializers.CharField()
    usage = CodeAskUsageOutputSerializer()


class CodeEmbeddingStatusInputSerializer(serializers.Serializer):
    repository_id = serializers.UUIDField(required=False)


class CodeIndexOutputSerializer(serializers.Serializer):
    repository_id = serializers.UUIDField()
    repository = serializers.CharField(source="repository.name")
    status = serializers.ChoiceField(choices=IndexStatus.choices)
    analysis_id = serializers.UUIDField(source="run_id", allow_null=True)
    commit_sha = serializers.CharField()
    chunks_total = serializers.IntegerField()
    stats = serializers.DictField(child=serializers.IntegerField(), help_text="Counts of the last indexing.")
    error = serializers.CharField()
    updated_at = serializers.DateTimeField()


class CodeEmbeddingStatusOutputSerializer(serializers.Serializer):
    chunks_total = serializers.IntegerField()
    embedded = serializers.IntegerField()
    pending = serializers.IntegerField()
    coverage_percent = serializers.FloatField()
    backend = serializers.CharField()
    model = serializers.CharField()
    dimensions = serializers.IntegerField()
    last_updated = serializers.DateTimeField(allow_null=True)
    repositories = CodeIndexOutputSerializer(many=True)
