# Debian's Chromium for the web UI's end-to-end tests (test/ui): playwright-core drives it through
# executablePath, so no browser build is downloaded. fonts-dejavu-core gives the screenshots text.
apt_ensure chromium chromium
if ! fc-list 2>/dev/null | grep -qi dejavu; then apt_ensure fc-list fontconfig; fi
