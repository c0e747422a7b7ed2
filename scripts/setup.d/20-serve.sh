# rlmkit serve: the official Python `openai` client drives the server in test/serve (outside-in:
# streamed search progress must not break `for chunk in stream: chunk.choices[0]`).
pip_ensure openai openai==3.51.0
