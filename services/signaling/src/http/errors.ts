export { errorMiddleware, HttpError } from '@vilokanam/contracts/http';
