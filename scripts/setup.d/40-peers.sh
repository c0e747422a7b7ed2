# Optional: the PyTorch and JAX peers of `rlmkit bench engine --peers` (bench/peers/README.md).
# Opt-in with RLMKIT_PEERS=1 (PyTorch's PyPI wheel pulls ~4 GB of CUDA libraries); no test needs them.
if [ "${RLMKIT_PEERS:-0}" = "1" ]; then
  pip_ensure torch torch==2.15.0
  pip_ensure jax "jax[cpu]==0.10.2"
fi
