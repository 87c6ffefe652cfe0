#!/usr/bin/env bash
# Builds a Debian package of Weft: the desktop app and the `weft` command, a menu entry, the
# icons, and the registration of weft:// links, so that an invitation link clicked in a
# browser or a chat opens the app on its join form. Install it with
#   sudo apt install ./target/package/weft_VERSION_ARCH.deb
# It builds with the `dist` profile (release, optimised as one unit: about 18 minutes on two
# cores). WEFT_PACKAGE_PROFILE=debug packages the debug binaries as they are instead (the
# test suite does, to check the package without a second, optimised build of everything).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${WEFT_PACKAGE_PROFILE:-dist}
case "$profile" in
dist) compress=(-Zxz) ;;
debug) compress=(-Zgzip -z1) ;;
*) echo "WEFT_PACKAGE_PROFILE is dist or debug, not '$profile'" >&2; exit 2 ;;
esac

if [[ $profile == dist ]]; then
    bash scripts/setup.sh
    echo "== building the app's UI"
    (cd ui && npm run --silent build >/dev/null)
    echo "== building Weft for distribution (about 18 minutes on two cores)"
    cargo build --workspace --locked --quiet --profile dist
fi
for bin in weft weft-app; do
    [[ -x target/$profile/$bin ]] || { echo "target/$profile/$bin is not built" >&2; exit 1; }
done

version=$(cargo metadata --format-version 1 --no-deps --locked |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);console.log(m.packages.find(p=>p.name==="weft-app").version)})')
arch=$(dpkg --print-architecture)
out=target/package
root=$out/root
rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/applications" "$root/usr/share/doc/weft"

# Stripped, as Debian ships programs (a panic's message still names its file and line).
for bin in weft weft-app; do
    objcopy --strip-all "target/$profile/$bin" "$root/usr/bin/$bin"
done

for icon in 32:32x32.png 128:128x128.png 256:128x128@2x.png; do
    size=${icon%%:*} src=${icon#*:}
    dir="$root/usr/share/icons/hicolor/${size}x${size}/apps"
    mkdir -p "$dir"
    install -m 0644 "src-tauri/icons/$src" "$dir/org.weft.app.png"
done

# The menu entry. `%u` hands a clicked weft:// link to the app; a running app takes it over
# from the second launch.
cat >"$root/usr/share/applications/org.weft.app.desktop" <<'EOF'
[Desktop Entry]
Type=Application
Name=Weft
GenericName=Mutual-aid board
GenericName[es]=Tablero de ayuda mutua
Comment=Share your community's work: tasks, pledges and hours, kept on members' laptops
Comment[es]=Compartid el trabajo de vuestra comunidad: tareas, compromisos y horas, en los portátiles de sus miembros
Exec=weft-app %u
Icon=org.weft.app
Terminal=false
Categories=Office;ProjectManagement;
Keywords=mutual aid;community;volunteer;tasks;hours;
MimeType=x-scheme-handler/weft;
StartupWMClass=weft-app
EOF

cat >"$root/usr/share/doc/weft/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: weft

Files: *
Copyright: the Weft developers
License: AGPL-3.0-or-later
 On Debian systems the full text of the GNU Affero General Public License version 3 is
 not shipped in common-licenses; see https://www.gnu.org/licenses/agpl-3.0.html.
EOF

# What the binaries link against, as Debian names it.
shlibs=$(mktemp -d)
trap 'rm -rf "$shlibs"' EXIT
mkdir -p "$shlibs/debian"
printf 'Source: weft\n\nPackage: weft\nArchitecture: any\n' >"$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O "$OLDPWD/$root/usr/bin/weft" "$OLDPWD/$root/usr/bin/weft-app" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[[ -n "$depends" ]] || { echo "could not work out the package's dependencies" >&2; exit 1; }

cat >"$root/DEBIAN/control" <<EOF
Package: weft
Version: $version
Architecture: $arch
Maintainer: The Weft developers <weft@users.noreply.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: net
Priority: optional
Description: peer-to-peer board, pledges and hour ledger for mutual-aid communities
 Weft helps a community of 20 to 200 people share its work - food, care, teaching,
 repairs, governance, arts - without bosses and without money. The board, the
 pledges and the hours are kept on members' laptops and synced directly between
 them, on the LAN at a gathering or across the internet, with no server.
 .
 This package holds the desktop app (weft-app) and the weft command.
EOF

deb="$out/weft_${version}_${arch}.deb"
dpkg-deb --root-owner-group "${compress[@]}" --build "$root" "$deb" >/dev/null
rm -rf "$root"
echo "== $deb: $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes)"
