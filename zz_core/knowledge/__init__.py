"""The Docs Assistant's knowledge: documents, chunking, the embedding + FAISS + BM25
index, and each producer's own document library. Knows nothing about analyses."""
