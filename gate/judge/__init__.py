"""Judge: an OpenAI-compatible LLM that scores judged assertions by majority vote."""
