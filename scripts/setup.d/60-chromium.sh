# Debian's Chromium for the web UI's end-to-end tests (test/ui): playwright-core drives it through
# executablePath, so no browser build is downloaded.
apt_ensure chromium chromium
