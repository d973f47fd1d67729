/*
 * trustee.h: `ballotctl trustee ...`, the trustee's side of the key
 * ceremony (docs/trustee.md, protocol.md section 10).
 *
 *   trustee keygen --out TRUSTEE.key [--name NAME]
 *   trustee ceremony POLL --key TRUSTEE.key --index I --state FILE
 *                    [--server URL] [--timeout S] [--settle S]
 *   trustee release POLL --key TRUSTEE.key --state FILE [--server URL]
 */
#ifndef CTL_TRUSTEE_H
#define CTL_TRUSTEE_H

/*
 * Runs `ballotctl trustee ...`.  argv[0] is the word "trustee" (the
 * dispatcher passes argc - i, argv + i); if it is not, everything up to
 * the first "trustee" is read as ballotctl's global options (--server,
 * --cacert, --insecure, --timeout), so passing the whole command line
 * works too.  The connection options may also follow the subcommand.
 * Returns the exit code: 0 ok, 1 refused or a check failed, 2 usage,
 * 3 file or network error.
 */
int ctl_trustee_main(int argc, char **argv);

#endif
