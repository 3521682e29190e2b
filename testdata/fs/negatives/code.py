token = request.headers.get("Authorization")
password = getpass.getpass("Password: ")
secret_key = settings.SECRET_KEY
api_key = os.getenv("API_KEY")
TOKEN_URL = "https://auth.example.com/oauth/token"
