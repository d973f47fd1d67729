/*
 * handlers.h: every request handler of the route table (routes.c), one
 * per row of docs/api.md, grouped by the file that holds it.  Until a
 * handler is written, handlers_stub.c's weak stand-in answers 501.
 */
#ifndef BD_HANDLERS_H
#define BD_HANDLERS_H

#include "routes.h"

/* h_org.c: the organiser. */
bd_handler bd_h_poll_create, bd_h_roll_import, bd_h_poll_ceremony,
    bd_h_poll_open, bd_h_poll_close, bd_h_poll_schedule;
/* h_ceremony.c: the trustees. */
bd_handler bd_h_ceremony_post, bd_h_ceremony_get;
/* h_voter.c: tokens and casts. */
bd_handler bd_h_token, bd_h_cast, bd_h_voter;
/* h_public.c: everyone. */
bd_handler bd_h_poll_get, bd_h_poll_status, bd_h_board_sth,
    bd_h_board_inclusion, bd_h_board_consistency, bd_h_board_entries,
    bd_h_issuance, bd_h_states, bd_h_board_find;
/* h_record.c: the signed heads' list and the published record. */
bd_handler bd_h_board_sths, bd_h_record_post, bd_h_record_get,
    bd_h_results, bd_h_record_member;

#endif
