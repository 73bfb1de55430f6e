// Package archive extracts runner packages (tar.gz, zip) safely, on
// mholt/archives. It keeps file modes exactly (whatever the umask) and
// symlinks that stay inside the tree; it refuses absolute paths, "..",
// links leaving the tree, writes through a symlink, hard links to outside
// files, and device files, and bounds the total extracted size. Extraction
// goes to a staging directory beside the destination, which is renamed
// into place only when complete; on any failure nothing is left.
package archive
