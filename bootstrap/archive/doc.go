// Package archive extracts runner packages (tar.gz, zip) safely, on
// mholt/archives. It keeps file modes exactly (whatever the umask) and
// symlinks that stay inside the tree; it refuses absolute paths, "..",
// links that resolve outside the tree (followed through the links
// already extracted, and checked again once the tree is complete),
// writes through a symlink, hard links to outside files, and device
// files, and bounds the total extracted size. Extraction goes to a tree
// inside a wrapper directory beside the destination that only root can
// enter (0700); the tree is given to the runner user there (Chown) and
// renamed into place only when complete (Commit, or CommitReplacing for
// a destination that exists); on any failure nothing is left.
package archive
