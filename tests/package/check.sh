#!/usr/bin/env bash
# Checks a built Weft package (scripts/package.sh): its control fields, that its programs
# run and find every library they link, that its menu entry is valid, that its icons are
# the sizes they claim, and that installing it makes Weft the handler of weft:// links.
# Usage: tests/package/check.sh target/package/weft_VERSION_ARCH.deb
set -euo pipefail
deb=${1:?usage: check.sh FILE.deb}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "package check failed: $*" >&2
    exit 1
}
field() { dpkg-deb --field "$deb" "$1"; }

[[ $(field Package) == weft ]] || fail "Package is '$(field Package)'"
[[ $(field Architecture) == "$(dpkg --print-architecture)" ]] || fail "Architecture is '$(field Architecture)'"
depends=$(field Depends)
for lib in libc6 libgtk-3-0 libwebkit2gtk-4.1-0 libsoup-3.0-0; do
    grep -q "\b$lib\b" <<<"$depends" || fail "Depends lacks $lib: $depends"
done

root=$tmp/root
dpkg-deb -x "$deb" "$root"
for bin in weft weft-app; do
    [[ -x $root/usr/bin/$bin ]] || fail "usr/bin/$bin is missing"
    if ldd "$root/usr/bin/$bin" | grep 'not found'; then fail "$bin needs a library this machine lacks"; fi
done
"$root/usr/bin/weft" --version | grep -q '^weft ' || fail "weft --version"
"$root/usr/bin/weft-app" --help | grep -q 'Usage: weft-app' || fail "weft-app --help"

entry=$root/usr/share/applications/org.weft.app.desktop
desktop-file-validate "$entry" || fail "the menu entry is not valid"
grep -qx 'Exec=weft-app %u' "$entry" || fail "the menu entry does not hand links to the app"
for size in 32 128 256; do
    icon=$root/usr/share/icons/hicolor/${size}x${size}/apps/org.weft.app.png
    file "$icon" | grep -q "PNG image data, $size x $size" || fail "icon ${size}x$size: $(file "$icon")"
done

# A weft:// link opens Weft: the desktop's MIME database built from the package's files
# names its entry as the handler (as the desktop-file-utils trigger does on install).
update-desktop-database "$root/usr/share/applications"
handler=$(XDG_DATA_DIRS=$root/usr/share XDG_DATA_HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config \
    xdg-mime query default x-scheme-handler/weft)
[[ $handler == org.weft.app.desktop ]] || fail "weft:// links go to '$handler'"

echo "package check passed: $deb ($(stat -c %s "$deb") bytes, $(field Installed-Size) KiB installed)"
