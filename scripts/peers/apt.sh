# Sourced by the install-*.sh scripts: installs Debian packages quietly,
# refreshing the package lists only when an install fails (a fresh machine
# has none, or stale ones). Waits for a dpkg lock held by another install.
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=600)
    if ! "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
        "${apt[@]}" update -qq >/dev/null
        "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
    fi
}
