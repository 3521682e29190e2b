public class App {
    private static final String ENCRYPTION_KEY = "Wq3eR5tY7uI9oP1aS2dF4gH6";
    private String password = getPassword();
}
