# Distributed work (rlmkit worker, eval --queue): the tests start their own redis-server on a free
# loopback port. The reward-server test calls the server from Python with `requests`, as OpenRLHF does.
apt_ensure redis-server redis-server
pip_ensure requests requests==2.34.2
