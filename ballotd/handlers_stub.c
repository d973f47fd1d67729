/*
 * handlers_stub.c: weak stand-ins for the handlers of handlers.h, so the
 * route table links while a handler is being written; the real handler,
 * in its own file, replaces the stand-in at link time.
 */
#include "handlers.h"
#include "http.h"

static void not_implemented(struct bd_req *req)
{
	bd_reply_error(req, 501, "not_implemented",
	               "this route is not implemented yet");
}

#define STUB(name)                                                         \
	__attribute__((weak)) void name(struct bd_req *req)                \
	{                                                                  \
		not_implemented(req);                                      \
	}

STUB(bd_h_poll_create)
STUB(bd_h_roll_import)
STUB(bd_h_poll_ceremony)
STUB(bd_h_poll_open)
STUB(bd_h_poll_close)
STUB(bd_h_poll_schedule)
STUB(bd_h_ceremony_post)
STUB(bd_h_ceremony_get)
STUB(bd_h_token)
STUB(bd_h_cast)
STUB(bd_h_poll_get)
STUB(bd_h_poll_status)
STUB(bd_h_board_sth)
STUB(bd_h_board_inclusion)
STUB(bd_h_board_consistency)
STUB(bd_h_board_entries)
STUB(bd_h_issuance)
STUB(bd_h_states)
