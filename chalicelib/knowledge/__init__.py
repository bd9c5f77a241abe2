"""Knowledge: a team's Markdown documents (runbooks, service notes), their
sections, ranked search over them (BM25), and the best matches a run starts
with (docs/knowledge.md).

    documents   the documents and their scope rules (the API's CRUD)
    sections    a Markdown document as its sections
    search      the BM25 index and search (bm25s, imported on first use)
    prompt      the knowledge put in a run's system prompt, within a budget
"""
