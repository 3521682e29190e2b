const config = {
  authToken: 'c2VjcmV0LXRva2VuLWZha2UtOTg3NjU0',
  token: process.env.API_TOKEN,
};
module.exports = config;
