export { handler } from '../../../functions/socket/authorizer';
