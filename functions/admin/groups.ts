/** Cognito groups the management API admits besides chat-admins (who may call every route). */

/** Supervisors: the live view, moving and closing chats, agents' status; reading chats, agents and queues. */
export const supervisorsGroup = 'supervisors';

/** Agents: the chats they hold (notes, the customer's history, contacts, quick replies) and the dispositions they may choose. */
export const agentsGroup = 'agents';
