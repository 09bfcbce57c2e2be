from django.urls import path

from codesearch.views import CodeAskView, CodeEmbeddingStatusView, CodeSearchView

urlpatterns = [
    path("code/search", CodeSearchView.as_view(), name="code-search"),
    path("code/ask", CodeAskView.as_view(), name="code-ask"),
    path("code/embeddings/status", CodeEmbeddingStatusView.as_view(), name="code-embeddings-status"),
]
