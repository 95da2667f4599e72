import { ApiError } from './api.js';

/** What went wrong, in plain words for the shopper. `during` is "checkout" while placing an order. */
export function describeError(error, during = '') {
  if (!(error instanceof ApiError)) {
    return 'Something went wrong on this page. Please reload it and try again.';
  }
  const retrySafe = during === 'checkout' ? ' Trying again will not place the order twice.' : '';
  switch (error.code) {
    case 'ERR_PAYMENT_DECLINED':
    case 'ERR_CARD_DECLINED':
      return 'Payment declined: your card was declined; the items are back in your cart.';
    case 'ERR_CART_EMPTY':
      return 'Your cart is empty: add something before you check out.';
    case 'ERR_NO_SUCH_PRODUCT':
      return 'That product is no longer in our catalog.';
    case 'ERR_OUT_OF_STOCK':
      return `Not enough stock: ${error.message}`;
    case 'ERR_BAD_REQUEST':
      return `Please check what you entered (${error.message}).`;
    case 'ERR_NETWORK':
      return `The shop could not be reached. Check your connection and try again.${retrySafe}`;
    default:
      break;
  }
  if (error.status === 402) return `Payment declined: ${error.message}`;
  if (error.status >= 500) {
    return `The shop could not reach one of its services just now. Please try again in a moment.${retrySafe}`;
  }
  return error.message;
}
