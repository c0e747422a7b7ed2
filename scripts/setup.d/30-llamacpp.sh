# llama-cpp-python[server]: a real third-party OpenAI-compatible server (llama.cpp inside) that the
# HTTP backend's outside-in tests run rlmkit's exported GGUF in (test/models/llamacpp-server.test.ts).
#
# PyPI has no prebuilt Linux wheel of it, so pip builds llama.cpp from the source distribution:
# about 20 minutes on 2 cores. The built wheel is kept in ~/.cache/rlmkit/wheels (override with
# RLMKIT_WHEEL_CACHE) and installed from there on later runs, so only the first run pays.
# The build leaves out what the Python package does not use (tests, examples, tools, curl).
LLAMACPP_PY_VERSION=0.3.36
llamacpp_ready() {
  python3 -c "import llama_cpp, llama_cpp.server.app, sys; sys.exit(0 if llama_cpp.__version__ == '$LLAMACPP_PY_VERSION' else 1)" >/dev/null 2>&1
}
if ! llamacpp_ready; then
  apt_ensure cmake cmake g++ g++ make make
  LLAMACPP_WHEELS="${RLMKIT_WHEEL_CACHE:-$HOME/.cache/rlmkit/wheels}"
  mkdir -p "$LLAMACPP_WHEELS"
  if ! ls "$LLAMACPP_WHEELS"/llama_cpp_python-"$LLAMACPP_PY_VERSION"-*.whl >/dev/null 2>&1; then
    echo "setup: building llama-cpp-python $LLAMACPP_PY_VERSION from source (about 20 minutes on 2 cores, once; the wheel is cached in $LLAMACPP_WHEELS)"
    CMAKE_ARGS="-DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=OFF" \
      CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      python3 -m pip wheel -q --no-deps "llama-cpp-python==$LLAMACPP_PY_VERSION" -w "$LLAMACPP_WHEELS"
  fi
  pip_ensure llama_cpp.server.app --find-links "$LLAMACPP_WHEELS" "llama-cpp-python[server]==$LLAMACPP_PY_VERSION"
  llamacpp_ready || { echo "setup: llama-cpp-python $LLAMACPP_PY_VERSION did not install" >&2; return 1; }
fi
# Reference implementations for test/models/hf-tokenizer.test.ts and chat-template.test.ts:
# Hugging Face `tokenizers` (trains and encodes BPE) and Jinja2 (renders chat templates as
# transformers does).
pip_ensure tokenizers tokenizers==0.23.3
pip_ensure jinja2 jinja2==3.1.6
